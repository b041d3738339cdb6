// Runs the matcher's pull loop in a worker thread, restarting it if it dies, and stops it cleanly.
import { Worker } from 'node:worker_threads';
import type { Config } from '#shared/config.ts';
import type { Logger } from '#shared/log.ts';

export type MatcherThread = {
  /** Asks the loop to stop; resolves once the batch in hand is committed and acked and the thread has exited. */
  stop(): Promise<void>;
};

/** Counts the thread reports when it stops. */
export type MatcherThreadStats = { received: number; applied: number; duplicates: number; rejected: number; batches: number; orders: number };

/**
 * Starts the matcher in a worker thread with its own connections to the backend `config` names.
 * A thread that dies (an exception the loop did not catch) is logged and started again after
 * `restartMs`, so one bad moment does not stop matching until the next deploy.
 */
export function startMatcherThread(deps: { readonly config: Config; readonly log: Logger; readonly restartMs?: number }): MatcherThread {
  const { config, log } = deps;
  const restartMs = deps.restartMs ?? 1000;
  let stopping = false;
  let worker: Worker | undefined;
  let exited: Promise<void> = Promise.resolve();
  let restartTimer: NodeJS.Timeout | undefined;

  const start = () => {
    const w = new Worker(new URL('./worker-entry.ts', import.meta.url), { workerData: { config } });
    worker = w;
    exited = new Promise<void>((resolve) => {
      w.on('message', (m: { type: string; stats?: MatcherThreadStats }) => {
        if (m.type === 'stopped' && m.stats) log.info({ ...m.stats }, 'matcher stopped');
      });
      w.on('error', (e) => log.error({ error: e.message }, 'matcher thread failed'));
      w.on('exit', (code) => {
        worker = undefined;
        resolve();
        if (stopping) return;
        log.error({ code, restartInMs: restartMs }, 'matcher thread exited; starting it again');
        restartTimer = setTimeout(start, restartMs);
      });
    });
  };
  start();

  return {
    async stop() {
      stopping = true;
      if (restartTimer) clearTimeout(restartTimer);
      worker?.postMessage('stop');
      await exited;
    },
  };
}
