// The embedded event bus: messages, leased per-subscription deliveries and dead letters in one SQLite file.
import { randomBytes } from 'node:crypto';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { BusMessage, BusStats, DeadLetter, Delivery, EventBus, PullOptions } from '../../ports/event-bus.ts';
import { immediate, openDatabase } from './database.ts';

const MIGRATIONS = [
  `-- Every subscription any process has opened; publish fans out to all of them, like a topic.
   CREATE TABLE bus_subscriptions (name TEXT PRIMARY KEY) WITHOUT ROWID;
   -- AUTOINCREMENT: a seq is never reused, so an old ackId or dead letter can never name a newer message.
   CREATE TABLE bus_messages (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL,
     ordering_key TEXT NOT NULL,
     attributes TEXT NOT NULL,
     data TEXT NOT NULL,
     published_at TEXT NOT NULL
   );
   -- One row per (message, subscription) until acked. lease_until is in ms; 0 means available now.
   CREATE TABLE bus_deliveries (
     seq INTEGER NOT NULL REFERENCES bus_messages (seq),
     subscription TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     lease_until INTEGER NOT NULL DEFAULT 0,
     lease_token TEXT,
     last_error TEXT,
     PRIMARY KEY (seq, subscription)
   ) WITHOUT ROWID;
   -- Available rows in seq order: pull is a range scan of this index, however many are leased.
   CREATE INDEX bus_deliveries_ready ON bus_deliveries (subscription, seq) WHERE lease_until = 0;
   -- Leases by expiry: finding lost leases reads only the expired ones.
   CREATE INDEX bus_deliveries_leased ON bus_deliveries (subscription, lease_until) WHERE lease_until > 0;
   -- Redeliveries waiting (nacked or lost): dead-lettering reads these, never the fresh backlog.
   CREATE INDEX bus_deliveries_retry ON bus_deliveries (subscription, attempts) WHERE lease_until = 0 AND attempts > 0;
   CREATE TABLE bus_dead_letters (
     seq INTEGER NOT NULL REFERENCES bus_messages (seq),
     subscription TEXT NOT NULL,
     attempts INTEGER NOT NULL,
     error TEXT,
     dead_at TEXT NOT NULL,
     PRIMARY KEY (seq, subscription)
   ) WITHOUT ROWID;
   CREATE INDEX bus_dead_letters_subscription ON bus_dead_letters (subscription, seq);`,
];

type MessageRow = { id: string; ordering_key: string; attributes: string; data: string; published_at: string };
type LeaseRow = { seq: number; attempts: number };
type DeadLetterRow = MessageRow & { attempts: number; error: string | null; dead_at: string };

const toMessage = (r: MessageRow): BusMessage => ({
  id: r.id,
  orderingKey: r.ordering_key,
  attributes: JSON.parse(r.attributes) as Record<string, string>,
  data: r.data,
});

/**
 * Opens the bus at `path` for `subscriptions` (registered in the file, so any process's publish fans
 * out to them); every change runs in one `BEGIN IMMEDIATE` transaction, so several processes may
 * share the file, and `publish` resolves only after a `synchronous = FULL` commit.
 */
export function createSqliteEventBus(options: {
  path: string;
  subscriptions: readonly string[];
  maxAttempts?: number;
  now?: () => number;
  /** False when another connection checkpoints the WAL for this one (`OpenOptions.autoCheckpoint`). */
  autoCheckpoint?: boolean;
}): EventBus {
  const maxAttempts = options.maxAttempts ?? 10;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new RangeError(`maxAttempts must be a positive integer, got ${maxAttempts}`);
  const now = options.now ?? Date.now;
  const known = new Set(options.subscriptions);
  const db: DatabaseSync = openDatabase(options.path, { migrations: MIGRATIONS, synchronous: 'FULL', ...(options.autoCheckpoint === false ? { autoCheckpoint: false } : {}) });

  const register = db.prepare('INSERT OR IGNORE INTO bus_subscriptions (name) VALUES (?)');
  immediate(db, () => {
    for (const name of known) register.run(name);
  });

  const q = {
    insertMessage: db.prepare('INSERT INTO bus_messages (id, ordering_key, attributes, data, published_at) VALUES (?, ?, ?, ?, ?)'),
    fanOut: db.prepare(
      `INSERT INTO bus_deliveries (seq, subscription)
       SELECT m.seq, s.name FROM bus_messages m CROSS JOIN bus_subscriptions s WHERE m.seq BETWEEN ? AND ?`,
    ),
    hasSubscriptions: db.prepare('SELECT EXISTS (SELECT 1 FROM bus_subscriptions) AS yes'),
    reclaimExpired: db.prepare(
      'UPDATE bus_deliveries SET lease_until = 0, lease_token = NULL WHERE subscription = ? AND lease_until > 0 AND lease_until <= ?',
    ),
    deadLetterExhausted: db.prepare(
      `INSERT INTO bus_dead_letters (seq, subscription, attempts, error, dead_at)
       SELECT seq, subscription, attempts, last_error, ? FROM bus_deliveries
       WHERE subscription = ? AND lease_until = 0 AND attempts > 0 AND attempts >= ?`,
    ),
    deleteExhausted: db.prepare('DELETE FROM bus_deliveries WHERE subscription = ? AND lease_until = 0 AND attempts > 0 AND attempts >= ?'),
    selectReady: db.prepare('SELECT seq, attempts FROM bus_deliveries WHERE subscription = ? AND lease_until = 0 ORDER BY seq LIMIT ?'),
    // The messages of a lease, read after its commit (a JSON array of seqs, in seq order).
    selectMessages: db.prepare(
      `SELECT m.seq, m.id, m.ordering_key, m.attributes, m.data, m.published_at
       FROM json_each(?) j JOIN bus_messages m ON m.seq = j.value ORDER BY j.key`,
    ),
    // The ready rows with seq in [first, last] are exactly the ones just selected: we hold the write lock.
    lease: db.prepare(
      `UPDATE bus_deliveries SET lease_until = ?, attempts = attempts + 1, lease_token = ?
       WHERE subscription = ? AND lease_until = 0 AND seq BETWEEN ? AND ?`,
    ),
    // Set-based: one statement acks every seq of one lease (a JSON array), however large the batch.
    ack: db.prepare(
      `DELETE FROM bus_deliveries WHERE subscription = ? AND lease_token = ? AND lease_until > ?
       AND seq IN (SELECT value FROM json_each(?)) RETURNING seq`,
    ),
    dropIfDone: db.prepare(
      `DELETE FROM bus_messages WHERE seq IN (SELECT value FROM json_each(?))
       AND NOT EXISTS (SELECT 1 FROM bus_deliveries d WHERE d.seq = bus_messages.seq)
       AND NOT EXISTS (SELECT 1 FROM bus_dead_letters dl WHERE dl.seq = bus_messages.seq)`,
    ),
    nack: db.prepare(
      `UPDATE bus_deliveries SET lease_until = 0, lease_token = NULL, last_error = ?
       WHERE seq = ? AND subscription = ? AND lease_token = ? AND lease_until > ?`,
    ),
    deadLetters: db.prepare(
      `SELECT m.id, m.ordering_key, m.attributes, m.data, m.published_at, dl.attempts, dl.error, dl.dead_at
       FROM bus_dead_letters dl JOIN bus_messages m ON m.seq = dl.seq
       WHERE dl.subscription = ? ORDER BY dl.seq LIMIT ?`,
    ),
    deadSeqs: db.prepare(
      `SELECT dl.seq, m.id FROM bus_dead_letters dl JOIN bus_messages m ON m.seq = dl.seq
       WHERE dl.subscription = ? ORDER BY dl.seq`,
    ),
    requeue: db.prepare('INSERT INTO bus_deliveries (seq, subscription) VALUES (?, ?)'),
    undead: db.prepare('DELETE FROM bus_dead_letters WHERE seq = ? AND subscription = ?'),
    countReady: db.prepare('SELECT count(*) AS n FROM bus_deliveries WHERE subscription = ? AND lease_until = 0'),
    countLeased: db.prepare('SELECT count(*) AS n FROM bus_deliveries WHERE subscription = ? AND lease_until > 0'),
    countDead: db.prepare('SELECT count(*) AS n FROM bus_dead_letters WHERE subscription = ?'),
  } satisfies Record<string, StatementSync>;

  const checkSubscription = (name: string): void => {
    if (!known.has(name)) throw new Error(`unknown subscription "${name}" (this bus has: ${[...known].join(', ') || 'none'})`);
  };

  /** Lost leases become available; what has used up its attempts moves to the dead letters. Inside a transaction. */
  const sweep = (subscription: string, at: number): void => {
    q.reclaimExpired.run(subscription, at);
    q.deadLetterExhausted.run(new Date(at).toISOString(), subscription, maxAttempts);
    q.deleteExhausted.run(subscription, maxAttempts);
  };

  const count = (stmt: StatementSync, subscription: string): number => (stmt.get(subscription) as { n: number }).n;

  return {
    async publish(messages) {
      if (messages.length === 0) return;
      const publishedAt = new Date(now()).toISOString();
      immediate(db, () => {
        if ((q.hasSubscriptions.get() as { yes: number }).yes !== 1)
          throw new Error('publish: no subscription is registered on this bus, so the messages would be dropped');
        let first = 0;
        let last = 0;
        for (const m of messages) {
          last = Number(q.insertMessage.run(m.id, m.orderingKey, JSON.stringify(m.attributes), m.data, publishedAt).lastInsertRowid);
          if (first === 0) first = last;
        }
        q.fanOut.run(first, last);
      });
    },

    async pull(subscription, { max, leaseMs }: PullOptions) {
      checkSubscription(subscription);
      if (!Number.isInteger(max) || max < 0) throw new RangeError(`pull: max must be a non-negative integer, got ${max}`);
      if (!(leaseMs > 0)) throw new RangeError(`pull: leaseMs must be positive, got ${leaseMs}`);
      if (max === 0) return [];
      const at = now();
      // The write lock is held only to lease (every publisher waits for it); the messages, often
      // megabytes of them, are read after the commit: until this lease is acked or lost, they stay.
      const lease = immediate(db, () => {
        sweep(subscription, at);
        const rows = q.selectReady.all(subscription, max) as LeaseRow[];
        if (rows.length === 0) return undefined;
        // One fresh token per pull: the seq already tells rows apart, the token tells leases apart.
        const token = randomBytes(9).toString('base64url');
        q.lease.run(at + Math.ceil(leaseMs), token, subscription, (rows[0] as LeaseRow).seq, (rows.at(-1) as LeaseRow).seq);
        return { rows, token };
      });
      if (lease === undefined) return [];
      const attempts = new Map(lease.rows.map((r) => [r.seq, r.attempts]));
      const messages = q.selectMessages.all(JSON.stringify(lease.rows.map((r) => r.seq))) as (MessageRow & { seq: number })[];
      return messages.map(
        (r): Delivery => ({ ...toMessage(r), ackId: `${r.seq}.${lease.token}`, attempt: (attempts.get(r.seq) ?? 0) + 1, publishedAt: r.published_at }),
      );
    },

    async ack(subscription, ackIds) {
      checkSubscription(subscription);
      if (ackIds.length === 0) return;
      const parsed = ackIds.map(parseAckId);
      const at = now();
      // Usually one lease (one pull) per call; group by token so each lease is one statement.
      const byToken = new Map<string, number[]>();
      for (const { seq, token } of parsed) {
        const seqs = byToken.get(token);
        if (seqs) seqs.push(seq);
        else byToken.set(token, [seq]);
      }
      immediate(db, () => {
        for (const [token, seqs] of byToken) {
          const acked = (q.ack.all(subscription, token, at, JSON.stringify(seqs)) as { seq: number }[]).map((r) => r.seq);
          if (acked.length > 0) q.dropIfDone.run(JSON.stringify(acked));
        }
      });
    },

    async nack(subscription, ackIds, error) {
      checkSubscription(subscription);
      if (ackIds.length === 0) return;
      const parsed = ackIds.map(parseAckId);
      const at = now();
      immediate(db, () => {
        for (const { seq, token } of parsed) q.nack.run(error ?? null, seq, subscription, token, at);
      });
    },

    async deadLetters(subscription, opts) {
      checkSubscription(subscription);
      const at = now();
      const rows = immediate(db, () => {
        sweep(subscription, at);
        return q.deadLetters.all(subscription, opts?.limit ?? -1) as DeadLetterRow[];
      });
      return rows.map(
        (r): DeadLetter => ({ ...toMessage(r), attempts: r.attempts, error: r.error, publishedAt: r.published_at, deadAt: r.dead_at }),
      );
    },

    async requeueDeadLetters(subscription, ids) {
      checkSubscription(subscription);
      const wanted = ids === undefined ? undefined : new Set(ids);
      const at = now();
      return immediate(db, () => {
        sweep(subscription, at);
        let n = 0;
        for (const { seq, id } of q.deadSeqs.all(subscription) as { seq: number; id: string }[]) {
          if (wanted && !wanted.has(id)) continue;
          q.undead.run(seq, subscription);
          q.requeue.run(seq, subscription);
          n += 1;
        }
        return n;
      });
    },

    async countDeadLetters(subscription) {
      checkSubscription(subscription);
      const at = now();
      // The sweep only moves what has used up its attempts (or lost its lease): it costs no message an attempt.
      return immediate(db, () => {
        sweep(subscription, at);
        return count(q.countDead, subscription);
      });
    },

    async stats(subscription): Promise<BusStats> {
      checkSubscription(subscription);
      const at = now();
      return immediate(db, () => {
        sweep(subscription, at);
        return { pending: count(q.countReady, subscription), leased: count(q.countLeased, subscription), deadLettered: count(q.countDead, subscription) };
      });
    },

    async close() {
      if (db.isOpen) db.close();
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
