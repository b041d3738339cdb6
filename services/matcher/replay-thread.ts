// Runs a replay in a worker thread whose heap is capped, so a replay of any size stays within a known memory budget.
import { Worker } from 'node:worker_threads';
import { tmpdir } from 'node:os';
import { createScratchOrderStateStore } from '#shared/adapters/sqlite/order-state-store.ts';
import type { Backend } from '#shared/backend.ts';
import { checkConfigOf, type Config } from '#shared/config.ts';
import { normalizeContextOf } from '#shared/sources/context.ts';
import { replay, type ReplayResult, type ReplaySelection } from './replay.ts';
import { MATCHER_YOUNG_HEAP_MB } from './thread.ts';

/**
 * The replay thread's old-generation heap, in MB. Replay holds one batch of events and a bounded
 * cache of documents, not the archive, so this is enough at any size measured (1M events peak at
 * about 460 MB RSS for the whole process); without a cap V8 lets the heap grow to twice that
 * before collecting.
 */
export const REPLAY_HEAP_MB = 256;

/**
 * Below about 2 MB a new thread cannot even load V8's start-up snapshot, and that failure ends the
 * whole process instead of the thread; from 8 MB a heap that is too small ends only the thread.
 */
export const MIN_REPLAY_HEAP_MB = 8;

/** Thrown when the capped heap was not enough; the caller may run the replay again without the cap. */
export class ReplayHeapExhausted extends Error {
  readonly heapMb: number;
  constructor(heapMb: number) {
    super(`replay needed more than its ${heapMb} MB heap`);
    this.name = 'ReplayHeapExhausted';
    this.heapMb = heapMb;
  }
}

/**
 * Replays with its own connections to the backend `config` names, in a worker thread with a
 * `heapMb` heap. Resolves with the same result `replay` gives; progress is reported as it goes.
 */
export function replayInThread(input: {
  readonly config: Config;
  readonly selection: ReplaySelection;
  readonly into: 'shadow' | 'live';
  readonly now: string;
  readonly heapMb?: number;
  readonly onProgress?: (done: number, total: number) => void;
}): Promise<ReplayResult> {
  const heapMb = input.heapMb ?? REPLAY_HEAP_MB;
  if (!(Number.isInteger(heapMb) && heapMb >= MIN_REPLAY_HEAP_MB)) return Promise.reject(new RangeError(`heapMb must be a whole number of at least ${MIN_REPLAY_HEAP_MB}, got ${heapMb}`));
  return new Promise<ReplayResult>((resolve, reject) => {
    const worker = new Worker(new URL('./replay-entry.ts', import.meta.url), {
      workerData: { config: input.config, selection: input.selection, into: input.into, now: input.now },
      resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: MATCHER_YOUNG_HEAP_MB },
    });
    let result: ReplayResult | undefined;
    let failure: Error | undefined;
    worker.on('message', (m: { progress?: [number, number]; result?: ReplayResult }) => {
      if (m.progress) input.onProgress?.(m.progress[0], m.progress[1]);
      if (m.result) result = m.result;
    });
    worker.on('error', (e: Error & { code?: string }) => {
      failure = e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? new ReplayHeapExhausted(heapMb) : e;
    });
    worker.on('exit', (code) => {
      if (result !== undefined) resolve(result);
      else reject(failure ?? new Error(`replay thread exited with code ${code} before it finished`));
    });
  });
}

/**
 * Replays on this thread, over an open backend, into a scratch shadow beside the data (or in the
 * temp dir) that is deleted afterwards: what the replay thread runs, and the uncapped fallback.
 */
export async function replayWith(
  config: Config,
  backend: Pick<Backend, 'archive' | 'store'>,
  run: { readonly selection: ReplaySelection; readonly into: 'shadow' | 'live'; readonly now: () => string; readonly onProgress?: (done: number, total: number) => void },
): Promise<ReplayResult> {
  const shadow = createScratchOrderStateStore(config.backend === 'embedded' ? config.dataDir : tmpdir());
  try {
    const deps = { archive: backend.archive, store: backend.store, shadow, checkConfig: checkConfigOf(config), normalize: normalizeContextOf(config), now: run.now };
    return await replay(run.onProgress ? { ...deps, onProgress: run.onProgress } : deps, run.selection, run.into);
  } finally {
    await shadow.close();
  }
}
