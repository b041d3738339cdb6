// The matcher's pull loop in its own thread (started by `startMatcherThread`): its synchronous SQLite
// work then never holds the HTTP server's event loop, and it has a core of its own.
import { parentPort, workerData } from 'node:worker_threads';
import { openBackend } from '#shared/backend.ts';
import type { Config } from '#shared/config.ts';
import { createLogger } from '#shared/log.ts';
import { matcherFor } from './matcher.ts';

const port = parentPort;
if (port === null) throw new Error('worker-entry.ts runs only as a worker thread (see startMatcherThread)');
const { config } = workerData as { config: Config };
const log = createLogger({ name: 'tieout' }).child({ thread: 'matcher' });
const backend = await openBackend(config);
const matcher = matcherFor(config, backend, log);
port.on('message', (message: unknown) => {
  if (message === 'stop') matcher.stop();
});
port.postMessage({ type: 'started' });
try {
  const stats = await matcher.run();
  port.postMessage({ type: 'stopped', stats: { ...stats, orders: stats.orders.size } });
} finally {
  await backend.close();
  // The message listener holds the thread open; closing the port lets it exit.
  port.close();
}
