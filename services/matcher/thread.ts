// Runs the matcher in a worker thread with a capped heap: the pull loop of `tieout serve` (restarted
// if it dies) and the drain of `tieout match`. A batch too large for the heap is retried smaller.
import { Worker } from 'node:worker_threads';
import type { Config } from '#shared/config.ts';
import type { Logger } from '#shared/log.ts';
import type { MatcherStats } from './matcher.ts';

/**
 * The matcher thread's heap, in MB: old generation, and a young generation smaller than V8's
 * default (fewer short-lived objects held, no slower). Measured at 1M events with batches of
 * 30,000 (the embedded default): 16,692 events/s within 404 MB peak RSS for the process. Batches
 * of 40,000 gave 17,440/s within 449 MB, of 50,000 in 320 MB 18,275/s but 518 MB; without a cap
 * V8 lets the heap grow far beyond what is live. A batch that does not fit is retried at half the
 * size. BENCHMARKS.md §6 has the whole table.
 */
export const MATCHER_HEAP_MB = 256;
export const MATCHER_YOUNG_HEAP_MB = 32;
/**
 * The nice value of the serving matcher's thread (`tieout serve`): webhook senders are waiting on
 * ingest, while the matcher can catch up, so under load it runs on the CPU ingest leaves. On Linux
 * a nice value belongs to the thread, so only this thread is lowered; `tieout match` keeps 0.
 * Measured: +7% webhooks/s with the matcher folding alongside (BENCHMARKS.md §7).
 */
export const MATCHER_NICE = 19;
/** The smallest batch the thread falls back to after running out of heap. */
const MIN_BATCH = 100;

export type MatcherThread = {
  /** Asks the loop to stop; resolves once the batch in hand is committed and acked and the thread has exited. */
  stop(): Promise<void>;
};

type Options = {
  readonly config: Config;
  readonly log: Logger;
  readonly heapMb?: number;
  readonly logLevel?: string;
  /** `IngestPressure.buffer` of ingest in the same process: the pull loop gives way while ingest is saturated. */
  readonly ingestPressure?: SharedArrayBuffer;
};
type FromThread = { type: 'started' } | { type: 'wait'; leased: number } | { type: 'stopped'; stats: MatcherStats };

/** A batch half as large, after the thread ran out of heap on this one (its lease then returns the batch). */
const halved = (config: Config): Config => ({ ...config, matcher: { ...config.matcher, batchSize: Math.max(MIN_BATCH, Math.floor(config.matcher.batchSize / 2)) } });

function spawn(config: Config, mode: 'run' | 'drain', options: Options): Worker {
  return new Worker(new URL('./worker-entry.ts', import.meta.url), {
    workerData: {
      config,
      mode,
      ...(mode === 'run' ? { nice: MATCHER_NICE } : {}),
      ...(mode === 'run' && options.ingestPressure ? { ingestPressure: options.ingestPressure } : {}),
      ...(options.logLevel ? { logLevel: options.logLevel } : {}),
    },
    resourceLimits: { maxOldGenerationSizeMb: options.heapMb ?? MATCHER_HEAP_MB, maxYoungGenerationSizeMb: MATCHER_YOUNG_HEAP_MB },
  });
}

const outOfMemory = (e: unknown) => (e as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY';

/**
 * Starts the matcher's pull loop in a worker thread with its own connections to the backend
 * `config` names. A thread that dies is logged and started again after `restartMs`; one that ran
 * out of heap is started again with half the batch size, so one bad moment does not stop matching.
 */
export function startMatcherThread(options: Options & { readonly restartMs?: number }): MatcherThread {
  const { log } = options;
  const restartMs = options.restartMs ?? 1000;
  let config = options.config;
  let stopping = false;
  let worker: Worker | undefined;
  let exited: Promise<void> = Promise.resolve();
  let restartTimer: NodeJS.Timeout | undefined;

  const start = () => {
    const w = spawn(config, 'run', options);
    worker = w;
    let oom = false;
    exited = new Promise<void>((resolve) => {
      w.on('message', (m: FromThread) => {
        if (m.type === 'stopped') log.info({ received: m.stats.received, applied: m.stats.applied, duplicates: m.stats.duplicates, rejected: m.stats.rejected, orders: m.stats.orders.size, gaveWay: m.stats.gaveWay }, 'matcher stopped');
      });
      w.on('error', (e) => {
        oom = outOfMemory(e);
        log.error({ error: e.message }, 'matcher thread failed');
      });
      w.on('exit', (code) => {
        worker = undefined;
        resolve();
        if (stopping) return;
        if (oom) config = halved(config);
        log.error({ code, restartInMs: restartMs, batchSize: config.matcher.batchSize }, 'matcher thread exited; starting it again');
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

/**
 * Drains the bus in a worker thread (what `tieout match` does): resolves with the thread's counts once
 * nothing is pending or leased. If the heap was too small for a batch, it drains again with half the
 * batch size; the counts are then those of the last attempt (earlier batches stay committed).
 */
export async function drainInThread(options: Options & { readonly onWait?: (leased: number) => void }): Promise<MatcherStats> {
  let config = options.config;
  for (;;) {
    const outcome = await new Promise<{ stats: MatcherStats } | { oom: true }>((resolve, reject) => {
      const w = spawn(config, 'drain', options);
      let stats: MatcherStats | undefined;
      let failure: unknown;
      w.on('message', (m: FromThread) => {
        if (m.type === 'wait') options.onWait?.(m.leased);
        if (m.type === 'stopped') stats = m.stats;
      });
      w.on('error', (e) => (failure = e));
      w.on('exit', (code) => {
        if (stats) resolve({ stats });
        else if (outOfMemory(failure) && config.matcher.batchSize > MIN_BATCH) resolve({ oom: true });
        else reject(failure instanceof Error ? failure : new Error(`matcher thread exited with code ${code} before the bus was drained`));
      });
    });
    if ('stats' in outcome) return outcome.stats;
    config = halved(config);
    options.log.warn({ batchSize: config.matcher.batchSize }, 'matcher thread ran out of heap; draining again with smaller batches');
  }
}
