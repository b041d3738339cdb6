// Group commit: concurrent requests share one durable write (ingest: one fsync per batch of webhooks; the push matcher: one Firestore transaction per batch of pushes).

/**
 * Collects items added within `maxWaitMs` (or until `maxBatch`) and hands them to `flush` in one
 * call; each `add` resolves with its own result once that flush is durable, or rejects with its error.
 * Only one flush runs at a time; items arriving meanwhile form the next batch.
 */
export function createGroupCommit<T, R>(flush: (items: readonly T[]) => Promise<readonly R[]>, options: { readonly maxBatch?: number; readonly maxWaitMs?: number } = {}) {
  const maxBatch = options.maxBatch ?? 500;
  const maxWaitMs = options.maxWaitMs ?? 2;
  type Waiter = { item: T; resolve: (r: R) => void; reject: (e: unknown) => void };
  let pending: Waiter[] = [];
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  const run = async (): Promise<void> => {
    while (pending.length > 0) {
      const batch = pending.splice(0, maxBatch);
      try {
        const results = await flush(batch.map((w) => w.item));
        batch.forEach((w, i) => w.resolve(results[i] as R));
      } catch (e) {
        for (const w of batch) w.reject(e);
      }
    }
  };
  const kick = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    running ??= run().finally(() => {
      running = undefined;
      if (pending.length > 0) kick();
    });
  };

  return {
    add(item: T): Promise<R> {
      return new Promise<R>((resolve, reject) => {
        pending.push({ item, resolve, reject });
        if (pending.length >= maxBatch) kick();
        else timer ??= setTimeout(kick, maxWaitMs);
      });
    },
    /** Waits for everything added so far to be flushed. */
    async drain(): Promise<void> {
      while (pending.length > 0 || running) {
        if (!running) kick();
        await running;
      }
    },
  };
}
