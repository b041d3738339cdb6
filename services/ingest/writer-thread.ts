// Archive-and-publish off the HTTP loop: the HTTP thread hands over verified records and awaits durability.
import { MessageChannel, Worker } from 'node:worker_threads';
import type { Config } from '#shared/config.ts';
import type { Logger } from '#shared/log.ts';
import type { RawRecord } from '#shared/ports/archive.ts';
import type { Outcome } from './ingest.ts';

/** The writer's threads, in the order a batch passes them (writer-entry.ts). */
export const WRITER_STAGES = ['normalize', 'archive', 'publish'] as const;
export type WriterStage = (typeof WRITER_STAGES)[number];
/** See `RecordWriter.depth`: one batch in each stage and one waiting at the first. */
const WRITER_DEPTH = WRITER_STAGES.length + 1;

/**
 * See `RecordWriter.maxBatch`: an equal share of what is in the system (waiting or being written)
 * for each batch in flight, between 32 and 64 records. Measured with ingest alone over 20 s
 * (BENCHMARKS.md §7): fixed 64 gave 7,900–8,500/s at 128 connections and about 10,000/s at 256;
 * fixed 32, 9,500–9,700/s at 128; this, 10,000–10,100/s at 128 and 10,900–11,000/s at 256.
 */
export function writerBatchSize(inSystem: number): number {
  return Math.min(64, Math.max(32, Math.ceil(inSystem / WRITER_DEPTH)));
}

/** From the HTTP thread to the first stage. */
export type WriteRequest = { readonly id: number; readonly records: readonly RawRecord[] };
/** From any stage to the HTTP thread: the batch's outcomes once durable, or why it is not. */
export type WriteReply = { readonly id: number; readonly outcomes?: readonly Outcome[]; readonly error?: string };

export type RecordWriter = {
  /** Normalizes, archives and publishes (or quarantines) the records; resolves once all of it is durable. */
  write(records: readonly RawRecord[]): Promise<Outcome[]>;
  /**
   * Batches that may be handed over before the last is durable (group commit's `maxInFlight`): one
   * in each stage of the writer and one waiting at the first, so no stage idles under load.
   */
  readonly depth: number;
  /**
   * The most records in one batch (group commit's `maxBatch`), given how many are in the system.
   * Small enough that several batches are in the stages at once: with larger ones, the requests a
   * batch answers come back together and form the next batch, so whole waves move through one stage
   * after another while the others idle (ingest alone at 256 connections: batches of up to 500 gave
   * 7,400/s, 96 gave 8,900/s, 64 gave 10,000–10,500/s).
   */
  readonly maxBatch: (inSystem: number) => number;
  /** Finishes what was handed over, then closes the threads' stores. */
  close(): Promise<void>;
};

/**
 * Starts the writer's three stage threads (writer-entry.ts: normalize, archive, publish), the last
 * two over their own connections to the embedded stores under `config.dataDir`, and a fourth that
 * checkpoints those two files, so no commit on the way to an acknowledgement waits for a
 * checkpoint. If any thread dies, every write in flight is rejected (so the sender gets a 5xx and
 * retries: nothing is acknowledged that is not durable), the others are stopped, and all four start
 * again for the next write. A retried payload that was archived but not yet published is archived
 * once and published again; every sink dedupes on the event id.
 */
export function startWriterThread(deps: {
  readonly config: Config;
  readonly log: Logger;
  /** Called with the threads each time they start (tests stop one to see the writer recover). */
  readonly onStart?: (threads: readonly Worker[]) => void;
}): RecordWriter {
  const { config, log } = deps;
  type Pending = { resolve: (o: Outcome[]) => void; reject: (e: Error) => void };
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let closing = false;
  let first: Worker;
  let checkpointer: Worker;
  let exited: Promise<void>;

  const start = () => {
    // normalize -> archive -> publish, over two channels; the first takes batches, the last answers.
    const channels = [new MessageChannel(), new MessageChannel()];
    const url = new URL('./writer-entry.ts', import.meta.url);
    const threads = WRITER_STAGES.map((stage, i) => {
      const input = i > 0 ? channels[i - 1]?.port2 : undefined;
      const output = i < WRITER_STAGES.length - 1 ? channels[i]?.port1 : undefined;
      const ports = [input, output].filter((p) => p !== undefined);
      return new Worker(url, { workerData: { config, stage, input, output }, transferList: ports });
    });
    first = threads[0] as Worker;
    // And the thread that checkpoints the archive's and the bus's WAL for the stages.
    checkpointer = new Worker(url, { workerData: { config, stage: 'checkpoint' } });
    threads.push(checkpointer);
    deps.onStart?.(threads);
    const onReply = (m: WriteReply) => {
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
    depth: WRITER_DEPTH,
    maxBatch: writerBatchSize,
    write(records) {
      if (closing) return Promise.reject(new Error('ingest writer is closed'));
      const id = nextId++;
      return new Promise<Outcome[]>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        first.postMessage({ id, records } satisfies WriteRequest);
      });
    },
    async close() {
      closing = true;
      first.postMessage('close');
      checkpointer.postMessage('close');
      await exited;
    },
  };
}
