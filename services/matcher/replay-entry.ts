// A replay in a worker thread with a capped heap (started by `replayInThread`): see replay-thread.ts.
import { tmpdir } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { createScratchOrderStateStore } from '#shared/adapters/sqlite/order-state-store.ts';
import { openBackend } from '#shared/backend.ts';
import { checkConfigOf, type Config } from '#shared/config.ts';
import { normalizeContextOf } from '#shared/sources/context.ts';
import { replay, type ReplaySelection } from './replay.ts';

const port = parentPort;
if (port === null) throw new Error('replay-entry.ts runs only as a worker thread (see replayInThread)');
const { config, selection, into, now } = workerData as { config: Config; selection: ReplaySelection; into: 'shadow' | 'live'; now: string };
const backend = await openBackend(config);
// The rebuild goes to a scratch file beside the data (or the temp dir), not into memory.
const shadow = createScratchOrderStateStore(config.backend === 'embedded' ? config.dataDir : tmpdir());
try {
  const result = await replay(
    {
      archive: backend.archive,
      store: backend.store,
      shadow,
      checkConfig: checkConfigOf(config),
      normalize: normalizeContextOf(config),
      now: () => now,
      onProgress: (done, total) => port.postMessage({ progress: [done, total] }),
    },
    selection,
    into,
  );
  port.postMessage({ result });
} finally {
  await shadow.close();
  await backend.close();
}
