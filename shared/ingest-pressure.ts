// Whether ingest is saturated, shared between threads: inside `tieout serve` the matcher gives way to it.

/**
 * When ingest last had a delivery waiting for its writer (every flush slot busy), readable from any
 * thread the buffer is passed to. Webhook senders wait on ingest; the matcher can catch up later.
 */
export type IngestPressure = {
  /** Pass this to another thread (workerData) and open it there with `ingestPressure(buffer)`. */
  readonly buffer: SharedArrayBuffer;
  /** Ingest: a delivery is waiting for the writer. */
  saturated(): void;
  /** Whether ingest was saturated within the last `ms`. */
  within(ms: number): boolean;
};

/** The pressure signal over `buffer` (a new one by default). */
export function ingestPressure(buffer: SharedArrayBuffer = new SharedArrayBuffer(BigInt64Array.BYTES_PER_ELEMENT)): IngestPressure {
  const lastAt = new BigInt64Array(buffer, 0, 1);
  return {
    buffer,
    saturated: () => void Atomics.store(lastAt, 0, BigInt(Date.now())),
    within: (ms) => Date.now() - Number(Atomics.load(lastAt, 0)) < ms,
  };
}
