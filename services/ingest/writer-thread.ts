// Archive-and-publish in a worker thread: the HTTP loop hands over verified records and awaits durability.
import { Worker } from 'node:worker_threads';
import type { Config } from '#shared/config.ts';
import type { Logger } from '#shared/log.ts';
import type { RawRecord } from '#shared/ports/archive.ts';
import type { Outcome } from './ingest.ts';

export type RecordWriter = {
  /** Normalizes, archives and publishes (or quarantines) the records; resolves once all of it is durable. */
  write(records: readonly RawRecord[]): Promise<Outcome[]>;
  /** Finishes what was handed over, then closes the thread's stores. */
  close(): Promise<void>;
};

/**
 * Starts the writer thread over its own connections to the backend `config` names. If the thread
 * dies, every write in flight is rejected (so the sender gets a 5xx and retries: nothing is
 * acknowledged that is not durable) and a new thread is started for the next one.
 */
export function startWriterThread(deps: { readonly config: Config; readonly log: Logger }): RecordWriter {
  const { config, log } = deps;
  type Pending = { resolve: (o: Outcome[]) => void; reject: (e: Error) => void };
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let closing = false;
  let worker: Worker;
  let exited: Promise<void>;

  const start = () => {
    const w = new Worker(new URL('./writer-entry.ts', import.meta.url), { workerData: { config } });
    worker = w;
    exited = new Promise<void>((resolve) => {
      w.on('message', (m: { id?: number; outcomes?: Outcome[]; error?: string }) => {
        if (m.id === undefined) return;
        const p = pending.get(m.id);
        pending.delete(m.id);
        if (m.error !== undefined) p?.reject(new Error(m.error));
        else p?.resolve(m.outcomes ?? []);
      });
      w.on('error', (e) => log.error({ error: e.message }, 'ingest writer thread failed'));
      w.on('exit', (code) => {
        for (const p of pending.values()) p.reject(new Error(`ingest writer thread exited (code ${code}) before the write was durable`));
        pending.clear();
        resolve();
        if (!closing) {
          log.error({ code }, 'ingest writer thread exited; starting it again');
          start();
        }
      });
    });
  };
  start();

  return {
    write(records) {
      if (closing) return Promise.reject(new Error('ingest writer is closed'));
      const id = nextId++;
      return new Promise<Outcome[]>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, records });
      });
    },
    async close() {
      closing = true;
      worker.postMessage('close');
      await exited;
    },
  };
}
