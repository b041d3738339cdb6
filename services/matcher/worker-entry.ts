// The matcher in its own thread (started by thread.ts): its synchronous SQLite work then never holds
// the HTTP server's event loop, it has a core of its own, and its heap has a known ceiling.
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { openBackend } from '#shared/backend.ts';
import type { Config } from '#shared/config.ts';
import { ingestPressure } from '#shared/ingest-pressure.ts';
import { createLogger } from '#shared/log.ts';
import { matcherFor } from './matcher.ts';

/**
 * How recently ingest must have had a delivery waiting for its writer for the matcher to give way.
 * Under a burst the writer is saturated nearly all the time; gaps of a few hundred ms let a matcher
 * that resumed 100 ms after take a 2,000-event batch twice a second (MAX_GIVE_WAY_MS has the figures).
 * Below saturation (up to 64 connections, 7,000 webhooks/s, all services) a delivery never waited.
 */
const SATURATED_WITHIN_MS = 1_000;

const port = parentPort;
if (port === null) throw new Error('worker-entry.ts runs only as a worker thread (see thread.ts)');
const { config, mode, nice, logLevel, ingestPressure: pressureBuffer } = workerData as {
  config: Config;
  mode: 'run' | 'drain';
  nice?: number;
  logLevel?: string;
  ingestPressure?: SharedArrayBuffer;
};
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
// Ingest in the same process was saturated this recently: the loop waits before its next pull.
const pressure = pressureBuffer ? ingestPressure(pressureBuffer) : undefined;
const matcher = matcherFor(config, backend, log, pressure ? { giveWay: () => pressure.within(SATURATED_WITHIN_MS) } : {});
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
