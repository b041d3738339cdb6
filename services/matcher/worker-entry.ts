// The matcher in its own thread (started by thread.ts): its synchronous SQLite work then never holds
// the HTTP server's event loop, it has a core of its own, and its heap has a known ceiling.
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { openBackend } from '#shared/backend.ts';
import type { Config } from '#shared/config.ts';
import { createLogger } from '#shared/log.ts';
import { matcherFor } from './matcher.ts';

const port = parentPort;
if (port === null) throw new Error('worker-entry.ts runs only as a worker thread (see thread.ts)');
const { config, mode, nice, logLevel } = workerData as { config: Config; mode: 'run' | 'drain'; nice?: number; logLevel?: string };
const log = createLogger({ name: 'tieout', ...(logLevel ? { level: logLevel } : {}) }).child({ thread: 'matcher' });
if (nice !== undefined) {
  // Process 0 is the calling thread on Linux (a nice value is per thread there).
  try {
    setPriority(0, nice);
  } catch (e) {
    log.warn({ nice, error: (e as Error).message }, 'could not lower the matcher thread\'s priority; it competes with ingest on equal terms');
  }
}
const backend = await openBackend(config);
const matcher = matcherFor(config, backend, log);
port.on('message', (message: unknown) => {
  if (message === 'stop') matcher.stop();
});
port.postMessage({ type: 'started' });
try {
  const stats = mode === 'drain' ? await matcher.drain({ onWait: (leased) => port.postMessage({ type: 'wait', leased }) }) : await matcher.run();
  port.postMessage({ type: 'stopped', stats });
} finally {
  await backend.close();
  // The message listener holds the thread open; closing the port lets it exit.
  port.close();
}
