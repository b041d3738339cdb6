// A replay in a worker thread with a capped heap (started by `replayInThread`): see replay-thread.ts.
import { parentPort, workerData } from 'node:worker_threads';
import { openBackend } from '#shared/backend.ts';
import type { Config } from '#shared/config.ts';
import type { ReplaySelection } from './replay.ts';
import { replayWith } from './replay-thread.ts';

const port = parentPort;
if (port === null) throw new Error('replay-entry.ts runs only as a worker thread (see replayInThread)');
const { config, selection, into, now } = workerData as { config: Config; selection: ReplaySelection; into: 'shadow' | 'live'; now: string };
const backend = await openBackend(config);
try {
  const result = await replayWith(config, backend, { selection, into, now: () => now, onProgress: (done, total) => port.postMessage({ progress: [done, total] }) });
  port.postMessage({ result });
} finally {
  await backend.close();
}
