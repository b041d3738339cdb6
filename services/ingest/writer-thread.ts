// Archive-and-publish off the HTTP loop: the HTTP thread hands over verified records and awaits durability.
import { MessageChannel, Worker } from 'node:worker_threads';
import type { Config } from '#shared/config.ts';
import type { Logger } from '#shared/log.ts';
import type { RawRecord } from '#shared/ports/archive.ts';
import type { Outcome } from './ingest.ts';
import type { WriteReply, WriteRequest } from './writer-entry.ts';

export type RecordWriter = {
  /** Normalizes, archives and publishes (or quarantines) the records; resolves once all of it is durable. */
  write(records: readonly RawRecord[]): Promise<Outcome[]>;
  /**
   * Batches that may be handed over before the last is durable: the writer archives one while it
   * publishes the one before (group commit's `maxInFlight`).
   */
  readonly depth: number;
  /** Finishes what was handed over, then closes the threads' stores. */
  close(): Promise<void>;
};

/**
 * Starts the writer's two threads (writer-entry.ts: one archives, one publishes) over their own
 * connections to the embedded stores under `config.dataDir`. If either thread dies, every write in
 * flight is rejected (so the sender gets a 5xx and retries: nothing is acknowledged that is not
 * durable), the other is stopped, and both start again for the next write. A retried payload that
 * was archived but not yet published is archived once and published again; every sink dedupes on
 * the event id.
 */
export function startWriterThread(deps: { readonly config: Config; readonly log: Logger }): RecordWriter {
  const { config, log } = deps;
  type Pending = { resolve: (o: Outcome[]) => void; reject: (e: Error) => void };
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let closing = false;
  let archiver: Worker;
  let exited: Promise<void>;

  const start = () => {
    const { port1, port2 } = new MessageChannel();
    const url = new URL('./writer-entry.ts', import.meta.url);
    const threads = [
      new Worker(url, { workerData: { config, role: 'archive', peer: port1 }, transferList: [port1] }),
      new Worker(url, { workerData: { config, role: 'publish', peer: port2 }, transferList: [port2] }),
    ];
    archiver = threads[0] as Worker;
    const onReply = (m: WriteReply | { ready: string }) => {
      if (!('id' in m)) return;
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.error !== undefined) p?.reject(new Error(m.error));
      else p?.resolve([...(m.outcomes ?? [])]);
    };
    let failed = false;
    exited = Promise.all(
      threads.map(
        (w) =>
          new Promise<void>((resolve) => {
            w.on('message', onReply);
            w.on('error', (e) => log.error({ error: e.message }, 'ingest writer thread failed'));
            w.on('exit', (code) => {
              if (!closing && !failed) {
                failed = true;
                log.error({ code }, 'ingest writer thread exited; starting the writer again');
                for (const other of threads) if (other !== w) void other.terminate();
              }
              resolve();
            });
          }),
      ),
    ).then(() => {
      for (const p of pending.values()) p.reject(new Error('ingest writer thread exited before the write was durable'));
      pending.clear();
      if (!closing) start();
    });
  };
  start();

  return {
    depth: 2,
    write(records) {
      if (closing) return Promise.reject(new Error('ingest writer is closed'));
      const id = nextId++;
      return new Promise<Outcome[]>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        archiver.postMessage({ id, records } satisfies WriteRequest);
      });
    },
    async close() {
      closing = true;
      archiver.postMessage('close');
      await exited;
    },
  };
}
