// The ingest writer's two threads (started by `startWriterThread`), one per durable store, so one
// batch's archive commit and the previous batch's bus commit (each with its fsync) overlap:
//   archive: normalizes a batch, quarantines what does not normalize, archives the rest (raw payloads
//            and canonical events), then hands the bus messages to the publish thread;
//   publish: publishes them on the bus and answers the HTTP thread.
// A batch is published only after its archive commit is durable, and batches keep their order in both.
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { embeddedPaths, MAX_ATTEMPTS } from '#shared/backend.ts';
import { createSqliteArchive } from '#shared/adapters/sqlite/archive.ts';
import { createSqliteEventBus } from '#shared/adapters/sqlite/event-bus.ts';
import type { Config } from '#shared/config.ts';
import type { RawRecord } from '#shared/ports/archive.ts';
import { type BusMessage, MATCHER_SUBSCRIPTION } from '#shared/ports/event-bus.ts';
import { normalizeContextOf } from '#shared/sources/context.ts';
import { normalizeRecords, type Outcome } from './ingest.ts';
import { messagesOf } from './publish.ts';

/** From the HTTP thread to the archive thread. */
export type WriteRequest = { readonly id: number; readonly records: readonly RawRecord[] };
/** From the archive thread to the publish thread. */
type Archived = { readonly id: number; readonly outcomes: readonly Outcome[]; readonly messages: readonly BusMessage[] };
/** From either thread to the HTTP thread: the batch's outcomes once durable, or why it is not. */
export type WriteReply = { readonly id: number; readonly outcomes?: readonly Outcome[]; readonly error?: string };

const parent = parentPort;
if (parent === null) throw new Error('writer-entry.ts runs only as a worker thread (see startWriterThread)');
const { config, role, peer } = workerData as { config: Config; role: 'archive' | 'publish'; peer: MessagePort };
const paths = embeddedPaths(config.dataDir);

/** Handles messages one at a time, in arrival order, even where a handler awaits. */
function serially<M>(handle: (message: M) => Promise<void>): (message: M) => void {
  let queue: Promise<void> = Promise.resolve();
  return (message) => {
    queue = queue.then(() => handle(message));
  };
}

const fail = (id: number, e: unknown) => parent.postMessage({ id, error: (e as Error).message } satisfies WriteReply);

if (role === 'archive') {
  const archive = createSqliteArchive({ path: paths.archive });
  const normalize = normalizeContextOf(config);
  parent.on(
    'message',
    serially(async (message: WriteRequest | 'close') => {
      if (message === 'close') {
        await archive.close();
        peer.postMessage('close');
        peer.close();
        parent.close();
        return;
      }
      try {
        const { entries, bad, outcomes } = normalizeRecords(message.records, normalize);
        if (bad.length > 0) await archive.quarantine(bad);
        await archive.append(entries);
        peer.postMessage({ id: message.id, outcomes, messages: messagesOf(entries) } satisfies Archived);
      } catch (e) {
        fail(message.id, e);
      }
    }),
  );
} else {
  const bus = createSqliteEventBus({ path: paths.bus, subscriptions: [MATCHER_SUBSCRIPTION], maxAttempts: MAX_ATTEMPTS });
  peer.on(
    'message',
    serially(async (message: Archived | 'close') => {
      if (message === 'close') {
        await bus.close();
        peer.close();
        parent.close();
        return;
      }
      try {
        await bus.publish(message.messages);
        parent.postMessage({ id: message.id, outcomes: message.outcomes } satisfies WriteReply);
      } catch (e) {
        fail(message.id, e);
      }
    }),
  );
}
parent.postMessage({ ready: role });
