// One stage of the ingest writer (started by `startWriterThread`). Three threads, one batch in each
// at a time, so normalizing one batch, committing the one before to the archive and the one before
// that to the bus (each commit with its fsync) all overlap:
//   normalize: normalizes a batch (the payloads that do not normalize are kept for quarantine) and
//              renders each event's JSON once, for its archive row and its bus message;
//   archive:   quarantines and archives it (raw payloads and canonical events, as rendered);
//   publish:   publishes the messages on the bus, then answers the HTTP thread.
// A batch reaches the bus only after its archive commit is durable, and batches keep their order.
// A fourth thread checkpoints both files' WALs, so no commit of the stages waits for a checkpoint.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { embeddedPaths, MAX_ATTEMPTS } from '#shared/backend.ts';
import { createSqliteArchive, type RenderedEntry, renderEntries } from '#shared/adapters/sqlite/archive.ts';
import { createSqliteEventBus } from '#shared/adapters/sqlite/event-bus.ts';
import { checkpointPassive } from '#shared/adapters/sqlite/database.ts';
import type { Config } from '#shared/config.ts';
import type { RawRecord } from '#shared/ports/archive.ts';
import { type BusMessage, MATCHER_SUBSCRIPTION } from '#shared/ports/event-bus.ts';
import { normalizeContextOf } from '#shared/sources/context.ts';
import { normalizeRecords, type Outcome } from './ingest.ts';
import { messagesOf } from './publish.ts';
import type { WriteReply, WriterStage, WriteRequest } from './writer-thread.ts';

/** Between stages: what is left to do for one batch, and its outcomes so far. */
type InFlight = {
  readonly id: number;
  readonly outcomes: readonly Outcome[];
  readonly entries?: readonly RenderedEntry[];
  readonly bad?: readonly (RawRecord & { error: string })[];
  readonly messages: readonly BusMessage[];
};

const parent = parentPort;
if (parent === null) throw new Error('writer-entry.ts runs only as a worker thread (see startWriterThread)');
const { config, stage, input, output } = workerData as { config: Config; stage: WriterStage | 'checkpoint'; input?: MessagePort; output?: MessagePort };
const paths = embeddedPaths(config.dataDir);
/**
 * The checkpoint thread's pause between two checkpoints of the archive and the bus while the stages
 * write. Short, so each checkpoint copies little and its sync of the database file is short: the
 * stages' commit syncs share the disk with it (BENCHMARKS.md §7; ingest alone, 20 s at 128
 * connections: every 200 ms, archive checkpoints took 26 ms at the median and commits stalled up to
 * 92 ms, p99 53–60 ms; every 50 ms, p99 44–56 ms; every 10 ms, checkpoints 1.7 ms, commits at most
 * 20 ms, p99 26–28 ms. All services, six alternating pairs: every 10 ms, p99 32–42 ms; every 2 ms,
 * p99 28–33 ms and webhooks/s +2%).
 */
const CHECKPOINT_PAUSE_MS = 2;
/** The pause after a round in which nothing was written to either file: an idle server barely polls. */
const CHECKPOINT_IDLE_PAUSE_MS = 50;
// The first stage reads from the HTTP thread, the last answers it; the others talk over channels.
const from = input ?? parent;
const to = output ?? parent;

type Batch = WriteRequest & InFlight;
/**
 * Does one stage's work on the batches waiting at it, in one go where it writes (one transaction
 * and one sync for all of them); resolves with what the next stage needs of each (the last: nothing).
 */
type Work = (batches: readonly Batch[]) => Promise<(InFlight | undefined)[]>;
/** The most batches a stage takes in one go. */
const MAX_BATCHES_AT_ONCE = 8;
const works: Record<WriterStage, () => { work: Work; close(): Promise<void> }> = {
  normalize() {
    const ctx = normalizeContextOf(config);
    return {
      async work(batches) {
        return batches.map(({ id, records }) => {
          const { entries, bad, outcomes } = normalizeRecords(records, ctx);
          // Each event's JSON is rendered once, here: the archive stores it and the bus carries it.
          const rendered = renderEntries(entries);
          return { id, outcomes, entries: rendered, bad, messages: messagesOf(entries, rendered) };
        });
      },
      close: async () => undefined,
    };
  },
  archive() {
    // Its unique ids (payload and event) land all over their indexes: 64 MB keeps them in memory
    // far longer than SQLite's 2 MB (+5% webhooks/s once the archive passed 200,000 payloads).
    const archive = createSqliteArchive({ path: paths.archive, autoCheckpoint: false, cacheMb: 64 });
    return {
      async work(batches) {
        const bad = batches.flatMap((b) => b.bad ?? []);
        if (bad.length > 0) await archive.quarantine(bad);
        await archive.appendRendered(batches.flatMap((b) => b.entries ?? []));
        return batches.map(({ id, outcomes, messages }) => ({ id, outcomes, messages }));
      },
      close: () => archive.close(),
    };
  },
  publish() {
    const bus = createSqliteEventBus({ path: paths.bus, subscriptions: [MATCHER_SUBSCRIPTION], maxAttempts: MAX_ATTEMPTS, autoCheckpoint: false });
    return {
      async work(batches) {
        await bus.publish(batches.flatMap((b) => b.messages));
        for (const { id, outcomes } of batches) parent.postMessage({ id, outcomes } satisfies WriteReply);
        return batches.map(() => undefined);
      },
      close: () => bus.close(),
    };
  },
};
if (stage === 'checkpoint') {
  // The stages' connections leave checkpointing to this thread: CHECKPOINT_PAUSE_MS after each round
  // in which the stages wrote, it copies what is committed into each file again (PASSIVE: no writer
  // waits), which keeps both WALs small; after a round with nothing written, CHECKPOINT_IDLE_PAUSE_MS.
  const files = [checkpointPassive(paths.archive), checkpointPassive(paths.bus)];
  const round = () => {
    let written = false;
    for (const f of files) if (f.checkpoint()) written = true;
    timer = setTimeout(round, written ? CHECKPOINT_PAUSE_MS : CHECKPOINT_IDLE_PAUSE_MS);
  };
  let timer = setTimeout(round, CHECKPOINT_PAUSE_MS);
  parent.on('message', (message: 'close') => {
    if (message !== 'close') return;
    clearTimeout(timer);
    for (const f of files) {
      f.checkpoint();
      f.close();
    }
    parent.close();
  });
} else {
  const { work, close } = works[stage]();
  /** Hands each batch's result on, or tells the HTTP thread why it failed. */
  const run = async (batches: readonly Batch[]): Promise<void> => {
    try {
      const next = await work(batches);
      for (const n of next) if (n !== undefined) to.postMessage(n);
    } catch (e) {
      // Several at once: each again alone, so one that cannot be written fails alone.
      if (batches.length > 1) for (const b of batches) await run([b]);
      else for (const b of batches) parent.postMessage({ id: b.id, error: (e as Error).message } satisfies WriteReply);
    }
  };
  // In arrival order, one go at a time, even where the work awaits: every batch that arrived while
  // the last go ran is taken in the next (up to MAX_BATCHES_AT_ONCE). Under load the archive and
  // the bus then commit, and sync, once for several batches.
  const waiting: Batch[] = [];
  let running = false;
  let closing = false;
  const pump = async (): Promise<void> => {
    if (running) return;
    running = true;
    while (waiting.length > 0) {
      await run(waiting.splice(0, MAX_BATCHES_AT_ONCE));
      // Lets the batches that arrived meanwhile in (a port delivers its messages between event-loop turns).
      await yieldToEventLoop();
    }
    running = false;
    if (closing) {
      await close();
      if (to !== parent) {
        to.postMessage('close');
        to.close();
      }
      if (from !== parent) from.close();
      parent.close();
    }
  };
  from.on('message', (message: Batch | 'close') => {
    if (message === 'close') closing = true;
    else waiting.push(message);
    void pump();
  });
}
