// An in-memory event bus with the SQLite bus's semantics, for unit tests only: nothing survives the process.
import type { BusMessage, BusStats, DeadLetter, Delivery, EventBus, PullOptions } from '../../ports/event-bus.ts';

type Stored = { readonly message: BusMessage; readonly publishedAt: string };
/** A message's state in one subscription; leaseUntil is in ms, 0 means available now. */
type Row = { attempts: number; leaseUntil: number; token: string | null; lastError: string | null };
type Dead = { readonly attempts: number; readonly error: string | null; readonly deadAt: string };

const copy = (m: BusMessage): BusMessage =>
  Object.freeze({ id: m.id, orderingKey: m.orderingKey, attributes: Object.freeze({ ...m.attributes }), data: m.data });

/**
 * Creates a bus held in memory that behaves like `createSqliteEventBus` (seq order, leases, nack,
 * dead letters after `maxAttempts`, requeue) but is not durable: use it in unit tests, never in a service.
 */
export function createMemoryEventBus(options: { subscriptions: readonly string[]; maxAttempts?: number; now?: () => number }): EventBus {
  const maxAttempts = options.maxAttempts ?? 10;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new RangeError(`maxAttempts must be a positive integer, got ${maxAttempts}`);
  const now = options.now ?? Date.now;
  const messages = new Map<number, Stored>();
  // Maps iterate in insertion order; each subscription's map is kept in seq order (requeue re-sorts).
  const rows = new Map<string, Map<number, Row>>(options.subscriptions.map((s) => [s, new Map()]));
  const dead = new Map<string, Map<number, Dead>>(options.subscriptions.map((s) => [s, new Map()]));
  let lastSeq = 0;
  let leases = 0;
  let closed = false;

  const open = (subscription?: string): { live: Map<number, Row>; dl: Map<number, Dead> } => {
    if (closed) throw new Error('the bus is closed');
    if (subscription === undefined) return { live: new Map(), dl: new Map() };
    const live = rows.get(subscription);
    const dl = dead.get(subscription);
    if (!live || !dl) throw new Error(`unknown subscription "${subscription}" (this bus has: ${[...rows.keys()].join(', ') || 'none'})`);
    return { live, dl };
  };

  const sweep = (live: Map<number, Row>, dl: Map<number, Dead>, at: number): void => {
    for (const [seq, row] of live) {
      if (row.leaseUntil > 0 && row.leaseUntil <= at) {
        row.leaseUntil = 0;
        row.token = null;
      }
      if (row.leaseUntil === 0 && row.attempts > 0 && row.attempts >= maxAttempts) {
        live.delete(seq);
        dl.set(seq, { attempts: row.attempts, error: row.lastError, deadAt: new Date(at).toISOString() });
      }
    }
  };

  const dropIfDone = (seq: number): void => {
    for (const live of rows.values()) if (live.has(seq)) return;
    for (const dl of dead.values()) if (dl.has(seq)) return;
    messages.delete(seq);
  };

  const leased = (live: Map<number, Row>, ackId: string, at: number): { seq: number; row: Row } | undefined => {
    const { seq, token } = parseAckId(ackId);
    const row = live.get(seq);
    return row && row.token === token && row.leaseUntil > at ? { seq, row } : undefined;
  };

  const stored = (seq: number): Stored => messages.get(seq) as Stored;

  return {
    async publish(batch) {
      open();
      if (batch.length === 0) return;
      if (rows.size === 0) throw new Error('publish: no subscription is registered on this bus, so the messages would be dropped');
      const publishedAt = new Date(now()).toISOString();
      for (const m of batch) {
        const seq = ++lastSeq;
        messages.set(seq, { message: copy(m), publishedAt });
        for (const live of rows.values()) live.set(seq, { attempts: 0, leaseUntil: 0, token: null, lastError: null });
      }
    },

    async pull(subscription, { max, leaseMs }: PullOptions) {
      const { live, dl } = open(subscription);
      if (!Number.isInteger(max) || max < 0) throw new RangeError(`pull: max must be a non-negative integer, got ${max}`);
      if (!(leaseMs > 0)) throw new RangeError(`pull: leaseMs must be positive, got ${leaseMs}`);
      if (max === 0) return [];
      const at = now();
      sweep(live, dl, at);
      const token = String(++leases);
      const out: Delivery[] = [];
      for (const [seq, row] of live) {
        if (out.length >= max) break;
        if (row.leaseUntil !== 0) continue;
        row.leaseUntil = at + Math.ceil(leaseMs);
        row.attempts += 1;
        row.token = token;
        const { message, publishedAt } = stored(seq);
        out.push({ ...message, attributes: { ...message.attributes }, ackId: `${seq}.${token}`, attempt: row.attempts, publishedAt });
      }
      return out;
    },

    async ack(subscription, ackIds) {
      const { live } = open(subscription);
      const at = now();
      for (const hit of ackIds.map((id) => leased(live, id, at))) {
        if (!hit) continue;
        live.delete(hit.seq);
        dropIfDone(hit.seq);
      }
    },

    async nack(subscription, ackIds, error) {
      const { live } = open(subscription);
      const at = now();
      for (const hit of ackIds.map((id) => leased(live, id, at))) {
        if (!hit) continue;
        hit.row.leaseUntil = 0;
        hit.row.token = null;
        hit.row.lastError = error ?? null;
      }
    },

    async deadLetters(subscription, opts) {
      const { live, dl } = open(subscription);
      sweep(live, dl, now());
      const limit = opts?.limit ?? Infinity;
      const out: DeadLetter[] = [];
      for (const seq of [...dl.keys()].sort((a, b) => a - b)) {
        if (out.length >= limit) break;
        const d = dl.get(seq) as Dead;
        const { message, publishedAt } = stored(seq);
        out.push({ ...message, attributes: { ...message.attributes }, attempts: d.attempts, error: d.error, publishedAt, deadAt: d.deadAt });
      }
      return out;
    },

    async requeueDeadLetters(subscription, ids) {
      const { live, dl } = open(subscription);
      sweep(live, dl, now());
      const wanted = ids === undefined ? undefined : new Set(ids);
      let n = 0;
      for (const seq of [...dl.keys()]) {
        if (wanted && !wanted.has(stored(seq).message.id)) continue;
        dl.delete(seq);
        live.set(seq, { attempts: 0, leaseUntil: 0, token: null, lastError: null });
        n += 1;
      }
      if (n > 0) {
        const sorted = [...live].sort(([a], [b]) => a - b);
        live.clear();
        for (const [seq, row] of sorted) live.set(seq, row);
      }
      return n;
    },

    async countDeadLetters(subscription) {
      const { live, dl } = open(subscription);
      sweep(live, dl, now());
      return dl.size;
    },

    async stats(subscription): Promise<BusStats> {
      const { live, dl } = open(subscription);
      sweep(live, dl, now());
      let leasedCount = 0;
      for (const row of live.values()) if (row.leaseUntil > 0) leasedCount += 1;
      return { pending: live.size - leasedCount, leased: leasedCount, deadLettered: dl.size };
    },

    async close() {
      closed = true;
    },
  };
}

/** `${seq}.${token}` back into its parts; anything else is a caller's bug, not a stale ack. */
function parseAckId(ackId: string): { seq: number; token: string } {
  const dot = ackId.indexOf('.');
  const seq = Number(ackId.slice(0, dot));
  if (dot < 1 || !Number.isSafeInteger(seq) || dot === ackId.length - 1) throw new Error(`malformed ackId "${ackId}"`);
  return { seq, token: ackId.slice(dot + 1) };
}
