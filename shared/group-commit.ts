// Group commit: concurrent requests share one durable write (ingest: one fsync per batch of webhooks; the push matcher: one Firestore transaction per batch of pushes).

export type GroupCommitOptions = {
  /**
   * The most items in one flush (default 500), or a function of how many items are in the system
   * (waiting and being flushed) that says it at each hand-over.
   */
  readonly maxBatch?: number | ((inSystem: number) => number);
  /** How long the first item of a batch waits for company while a flush slot is free (default 2 ms). */
  readonly maxWaitMs?: number;
  /**
   * Flushes that may run at once (default 1). A pipelined writer (the embedded ingest writer archives
   * one batch while it publishes the one before) takes 2, so the next batch is handed over while the
   * last is still being published. Batches are handed to `flush` in arrival order either way.
   */
  readonly maxInFlight?: number;
  /** Called when an item has to wait for a flush slot (every one is busy): the writer is saturated. */
  readonly onSaturated?: () => void;
};

/**
 * Collects items added within `maxWaitMs` (or until `maxBatch`) and hands them to `flush` in one
 * call; each `add` resolves with its own result once that flush is durable, or rejects with its error.
 * At most `maxInFlight` flushes run at a time; items arriving meanwhile form the next batch, which is
 * handed over as soon as a flush finishes.
 */
export function createGroupCommit<T, R>(flush: (items: readonly T[]) => Promise<readonly R[]>, options: GroupCommitOptions = {}) {
  const maxBatchOption = options.maxBatch ?? 500;
  const maxWaitMs = options.maxWaitMs ?? 2;
  const maxInFlight = options.maxInFlight ?? 1;
  type Waiter = { item: T; resolve: (r: R) => void; reject: (e: unknown) => void };
  const pending: Waiter[] = [];
  let timer: NodeJS.Timeout | undefined;
  // Each flush in flight, as a promise that settles (never rejects) when it is done.
  const flights = new Set<Promise<void>>();
  let flushing = 0;
  const maxBatch = (): number => Math.max(1, typeof maxBatchOption === 'number' ? maxBatchOption : maxBatchOption(pending.length + flushing));

  const launch = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    while (pending.length > 0 && flights.size < maxInFlight) {
      const batch = pending.splice(0, maxBatch());
      flushing += batch.length;
      let flushed: Promise<readonly R[]>;
      try {
        flushed = flush(batch.map((w) => w.item));
      } catch (e) {
        flushed = Promise.reject(e);
      }
      const flight: Promise<void> = flushed.then(
        (results) => batch.forEach((w, i) => w.resolve(results[i] as R)),
        (e: unknown) => batch.forEach((w) => w.reject(e)),
      ).finally(() => {
        flights.delete(flight);
        flushing -= batch.length;
        if (pending.length > 0) launch();
      });
      flights.add(flight);
    }
  };

  return {
    add(item: T): Promise<R> {
      return new Promise<R>((resolve, reject) => {
        pending.push({ item, resolve, reject });
        if (flights.size >= maxInFlight) {
          options.onSaturated?.();
          return; // handed over when a flush finishes
        }
        if (pending.length >= maxBatch()) launch();
        else timer ??= setTimeout(launch, maxWaitMs);
      });
    },
    /** Waits for everything added so far to be flushed. */
    async drain(): Promise<void> {
      while (pending.length > 0 || flights.size > 0) {
        launch();
        await Promise.race(flights);
      }
    },
  };
}
