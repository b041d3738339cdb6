// The EventBus contract: every bus adapter runs these cases (order, leases, redelivery, dead letters, durability).
import { afterEach, beforeEach, describe, expect, it, type TestFunction } from 'vitest';
import type { BusMessage, Delivery, EventBus } from '#shared/ports/event-bus.ts';

type Made = { bus: EventBus; reopen?: () => Promise<EventBus>; cleanup: () => Promise<void> };
type Make = (opts: { subscriptions: string[]; maxAttempts: number; now: () => number }) => Promise<Made>;

const T0 = Date.parse('2025-03-01T00:00:00.000Z');
const LEASE = { max: 100, leaseMs: 30_000 } as const;
const MAX_ATTEMPTS = 3;

const message = (i: number): BusMessage => ({
  id: `evt-${i}`,
  orderingKey: `order-${i % 3}`,
  attributes: { source: 'shopify', eventId: `evt-${i}`, note: 'ünïcode ✓' },
  data: JSON.stringify({ n: i, text: `payload "${i}"\n` }),
});
const messages = (n: number, from = 0): BusMessage[] => Array.from({ length: n }, (_, i) => message(from + i));
const ids = (ds: readonly { id: string }[]): string[] => ds.map((d) => d.id);
const ackIds = (ds: readonly Delivery[]): string[] => ds.map((d) => d.ackId);

/**
 * Defines the EventBus contract suite for one adapter; `make` builds a fresh, empty bus on the given fake clock.
 * `unsupported` maps a case's exact title to the reason this adapter cannot meet it: that case is reported as
 * skipped with the reason in its name, never as passed. A title that names no case fails loudly.
 */
export function eventBusContract(name: string, make: Make, unsupported: Readonly<Record<string, string>> = {}): void {
  const titles = new Set<string>();
  /** `it`, unless the adapter declared the case unsupported. */
  const contractCase = (title: string, fn: TestFunction): void => {
    titles.add(title);
    const reason = unsupported[title];
    if (reason === undefined) it(title, fn);
    else it.skip(`${title} [unsupported by ${name}: ${reason}]`, fn);
  };
  describe(`EventBus contract: ${name}`, () => {
    /** The fake clock: tests move `ms` forward to expire leases without sleeping. */
    let clock: { ms: number };
    let made: Made | undefined;
    const open = async (maxAttempts = MAX_ATTEMPTS): Promise<Made> => {
      made = await make({ subscriptions: ['matcher', 'archive'], maxAttempts, now: () => clock.ms });
      return made;
    };

    beforeEach(() => {
      clock = { ms: T0 };
    });
    afterEach(async () => {
      await made?.cleanup();
      made = undefined;
    });

    contractCase('given published messages, when pulled, then they come in publish order with attempt 1 and intact', async () => {
      const { bus } = await open();
      await bus.publish(messages(3));

      const got = await bus.pull('matcher', LEASE);

      expect(got.map(({ ackId: _ackId, ...rest }) => rest)).toEqual(
        messages(3).map((m) => ({ ...m, attempt: 1, publishedAt: '2025-03-01T00:00:00.000Z' })),
      );
      expect(new Set(ackIds(got)).size).toBe(3);
    });

    contractCase('given more messages than max, when pulled, then at most max come, the rest on the next pull', async () => {
      const { bus } = await open();
      await bus.publish(messages(5));

      const first = await bus.pull('matcher', { max: 2, leaseMs: 30_000 });
      const second = await bus.pull('matcher', { max: 10, leaseMs: 30_000 });

      expect(ids(first)).toEqual(['evt-0', 'evt-1']);
      expect(ids(second)).toEqual(['evt-2', 'evt-3', 'evt-4']);
    });

    contractCase('given two subscriptions, when each pulls and acks, then each gets every message independently', async () => {
      const { bus } = await open();
      await bus.publish(messages(3));

      const matcher = await bus.pull('matcher', LEASE);
      await bus.ack('matcher', ackIds(matcher));
      const archive = await bus.pull('archive', LEASE);

      expect(ids(matcher)).toEqual(['evt-0', 'evt-1', 'evt-2']);
      expect(ids(archive)).toEqual(['evt-0', 'evt-1', 'evt-2']);
      expect(await bus.stats('matcher')).toEqual({ pending: 0, leased: 0, deadLettered: 0 });
      expect(await bus.stats('archive')).toEqual({ pending: 0, leased: 3, deadLettered: 0 });
    });

    contractCase('given the same id published twice, when pulled, then both copies are delivered (at-least-once; sinks dedupe)', async () => {
      const { bus } = await open();
      await bus.publish([message(1)]);
      await bus.publish([message(1)]);

      expect(ids(await bus.pull('matcher', LEASE))).toEqual(['evt-1', 'evt-1']);
    });

    contractCase('given a pulled message, when acked, then it is never delivered again', async () => {
      const { bus } = await open();
      await bus.publish(messages(2));
      const got = await bus.pull('matcher', LEASE);

      await bus.ack('matcher', ackIds(got));
      clock.ms += 10 * LEASE.leaseMs;

      expect(await bus.pull('matcher', LEASE)).toEqual([]);
      expect(await bus.stats('matcher')).toEqual({ pending: 0, leased: 0, deadLettered: 0 });
    });

    contractCase('given a message pulled but not acked, when pulled again within its lease, then it is not delivered', async () => {
      const { bus } = await open();
      await bus.publish(messages(1));
      await bus.pull('matcher', LEASE);

      clock.ms += LEASE.leaseMs - 1;

      expect(await bus.pull('matcher', LEASE)).toEqual([]);
    });

    contractCase('given a lost lease, when it expires, then the message is redelivered with attempt 2 and only the new ackId acks it', async () => {
      const { bus } = await open();
      await bus.publish(messages(1));
      const [first] = await bus.pull('matcher', LEASE);

      clock.ms += LEASE.leaseMs;
      const [second] = await bus.pull('matcher', LEASE);

      expect(second).toMatchObject({ id: 'evt-0', attempt: 2 });
      expect(second?.ackId).not.toBe(first?.ackId);
      await bus.ack('matcher', [first?.ackId as string]);
      expect(await bus.stats('matcher')).toEqual({ pending: 0, leased: 1, deadLettered: 0 });
      await bus.ack('matcher', [second?.ackId as string]);
      expect(await bus.stats('matcher')).toEqual({ pending: 0, leased: 0, deadLettered: 0 });
      clock.ms += 10 * LEASE.leaseMs;
      expect(await bus.pull('matcher', LEASE)).toEqual([]);
    });

    contractCase('given a nack, when pulled again at once, then the message is redelivered and the error is kept', async () => {
      const { bus } = await open();
      await bus.publish(messages(2));
      const [a] = await bus.pull('matcher', { max: 1, leaseMs: 30_000 });

      await bus.nack('matcher', [a?.ackId as string], 'order store unavailable');
      const again = await bus.pull('matcher', LEASE);

      expect(again.map((d) => [d.id, d.attempt])).toEqual([
        ['evt-0', 2],
        ['evt-1', 1],
      ]);
      // The stale ackId of the nacked lease neither acks nor nacks the new lease.
      await bus.ack('matcher', [a?.ackId as string]);
      await bus.nack('matcher', [a?.ackId as string], 'stale');
      expect(await bus.stats('matcher')).toEqual({ pending: 0, leased: 2, deadLettered: 0 });
      // The error survives a lost lease and shows when the attempts run out.
      clock.ms += LEASE.leaseMs;
      await bus.pull('matcher', { max: 1, leaseMs: 30_000 });
      clock.ms += LEASE.leaseMs;
      expect(await bus.deadLetters('matcher')).toMatchObject([{ id: 'evt-0', attempts: 3, error: 'order store unavailable' }]);
    });

    contractCase('given maxAttempts deliveries without ack, then it is dead-lettered with the last error and not delivered again', async () => {
      const { bus } = await open();
      await bus.publish(messages(1));
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
        const [d] = await bus.pull('matcher', LEASE);
        expect(d?.attempt).toBe(attempt);
        await bus.nack('matcher', [d?.ackId as string], `failure ${attempt}`);
      }

      clock.ms += 1_000;
      const after = await bus.pull('matcher', LEASE);
      const dead = await bus.deadLetters('matcher');

      expect(after).toEqual([]);
      expect(dead).toEqual([
        { ...message(0), attempts: MAX_ATTEMPTS, error: `failure ${MAX_ATTEMPTS}`, publishedAt: '2025-03-01T00:00:00.000Z', deadAt: '2025-03-01T00:00:01.000Z' },
      ]);
      expect(await bus.stats('matcher')).toEqual({ pending: 0, leased: 0, deadLettered: 1 });
      expect(ids(await bus.pull('archive', LEASE))).toEqual(['evt-0']);
    });

    contractCase('given dead letters, when requeued (all or by id), then they are delivered again with attempt 1', async () => {
      const { bus } = await open();
      await bus.publish(messages(3));
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
        const got = await bus.pull('matcher', LEASE);
        await bus.nack('matcher', ackIds(got), 'poison');
      }
      expect(await bus.stats('matcher')).toEqual({ pending: 0, leased: 0, deadLettered: 3 });
      expect(ids(await bus.deadLetters('matcher', { limit: 2 }))).toEqual(['evt-0', 'evt-1']);

      expect(await bus.requeueDeadLetters('matcher', ['evt-1', 'no-such-id'])).toBe(1);
      expect((await bus.pull('matcher', LEASE)).map((d) => [d.id, d.attempt])).toEqual([['evt-1', 1]]);
      expect(await bus.requeueDeadLetters('matcher', [])).toBe(0);
      expect(await bus.requeueDeadLetters('matcher')).toBe(2);
      const requeued = await bus.pull('matcher', LEASE);

      expect(requeued.map((d) => [d.id, d.attempt])).toEqual([
        ['evt-0', 1],
        ['evt-2', 1],
      ]);
      expect(requeued[0]).toMatchObject({ data: message(0).data, attributes: message(0).attributes });
      expect(await bus.deadLetters('matcher')).toEqual([]);
    });

    contractCase('counts pending, leased and dead-lettered messages per subscription', async () => {
      const { bus } = await open(1);
      await bus.publish(messages(5));
      const [a, b] = await bus.pull('matcher', { max: 2, leaseMs: 30_000 });
      await bus.nack('matcher', [a?.ackId as string], 'bad');
      expect(await bus.stats('matcher')).toEqual({ pending: 3, leased: 1, deadLettered: 1 });

      await bus.ack('matcher', [b?.ackId as string]);
      expect(await bus.stats('matcher')).toEqual({ pending: 3, leased: 0, deadLettered: 1 });
      expect(await bus.stats('archive')).toEqual({ pending: 5, leased: 0, deadLettered: 0 });
    });

    contractCase('counts dead letters without costing a live message an attempt', async () => {
      const { bus } = await open(1);
      await bus.publish(messages(1));
      const [a] = await bus.pull('matcher', { max: 1, leaseMs: 30_000 });
      await bus.nack('matcher', [a?.ackId as string], 'bad');
      // The next pull moves the exhausted message to the dead letters (on Pub/Sub, the next delivery attempt does).
      expect(await bus.pull('matcher', { max: 10, leaseMs: 30_000 })).toEqual([]);
      await bus.publish(messages(2, 1));
      expect(await bus.countDeadLetters('matcher')).toBe(1);
      expect(await bus.countDeadLetters('matcher')).toBe(1);
      expect(await bus.countDeadLetters('archive')).toBe(0);
      // With maxAttempts 1, a count that peeked the live messages would have dead-lettered them.
      const rest = await bus.pull('matcher', { max: 10, leaseMs: 30_000 });
      expect(rest.map((d) => [d.id, d.attempt])).toEqual([
        ['evt-1', 1],
        ['evt-2', 1],
      ]);
      await bus.ack('matcher', rest.map((d) => d.ackId));
      expect(await bus.countDeadLetters('matcher')).toBe(1);
    });

    contractCase('given a crash between pull and ack, when reopened and the lease runs out, then nothing is lost', async (ctx) => {
      const { bus, reopen } = await open();
      if (!reopen) return ctx.skip('this adapter keeps nothing across a restart (in-memory, unit tests only)');
      await bus.publish(messages(3));
      await bus.pull('matcher', { max: 2, leaseMs: 30_000 });

      await bus.close(); // the consumer dies without acking
      const restarted = await reopen();
      expect(await restarted.stats('matcher')).toEqual({ pending: 1, leased: 2, deadLettered: 0 });
      clock.ms += 30_000;
      const got = await restarted.pull('matcher', LEASE);

      expect(got.map((d) => [d.id, d.attempt])).toEqual([
        ['evt-0', 2],
        ['evt-1', 2],
        ['evt-2', 1],
      ]);
      await restarted.ack('matcher', ackIds(got));
      expect(await restarted.stats('matcher')).toEqual({ pending: 0, leased: 0, deadLettered: 0 });
    });

    contractCase('given published messages and dead letters, when the bus is closed and reopened, then they survive intact', async (ctx) => {
      const { bus, reopen } = await open(1);
      if (!reopen) return ctx.skip('this adapter keeps nothing across a restart (in-memory, unit tests only)');
      await bus.publish(messages(2));
      const [a] = await bus.pull('matcher', { max: 1, leaseMs: 30_000 });
      await bus.nack('matcher', [a?.ackId as string], 'bad');
      expect(await bus.stats('matcher')).toEqual({ pending: 1, leased: 0, deadLettered: 1 });
      await bus.close();

      const restarted = await reopen();

      expect(await restarted.pull('archive', LEASE)).toMatchObject(messages(2).map((m) => ({ ...m, attempt: 1 })));
      expect(await restarted.pull('matcher', LEASE)).toMatchObject([{ ...message(1), attempt: 1 }]);
      expect(await restarted.deadLetters('matcher')).toMatchObject([{ ...message(0), attempts: 1, error: 'bad' }]);
    });

    contractCase('given 10,000 messages in two batches, when pulled and acked, then none is lost and none duplicated', async () => {
      const { bus } = await open();
      const all = messages(10_000);
      await bus.publish(all.slice(0, 5_000));
      await bus.publish(all.slice(5_000));

      const seen: string[] = [];
      for (;;) {
        const got = await bus.pull('matcher', { max: 1_000, leaseMs: 30_000 });
        if (got.length === 0) break;
        seen.push(...ids(got));
        await bus.ack('matcher', ackIds(got));
      }

      expect(seen).toEqual(ids(all));
      expect(await bus.stats('matcher')).toEqual({ pending: 0, leased: 0, deadLettered: 0 });
    });

    contractCase('rejects an unknown subscription on every call', async () => {
      const { bus } = await open();
      await bus.publish(messages(1));
      const unknown = /unknown subscription "nope"/;

      await expect(bus.pull('nope', LEASE)).rejects.toThrow(unknown);
      await expect(bus.ack('nope', ['1.x'])).rejects.toThrow(unknown);
      await expect(bus.nack('nope', ['1.x'])).rejects.toThrow(unknown);
      await expect(bus.deadLetters('nope')).rejects.toThrow(unknown);
      await expect(bus.requeueDeadLetters('nope')).rejects.toThrow(unknown);
      await expect(bus.stats('nope')).rejects.toThrow(unknown);
      await expect(bus.countDeadLetters('nope')).rejects.toThrow(unknown);
    });

    // Here, not after describe(): vitest collects a describe body later, when the file has run.
    const unknownTitles = Object.keys(unsupported).filter((title) => !titles.has(title));
    if (unknownTitles.length > 0) throw new Error(`eventBusContract(${name}): unsupported names no case: ${unknownTitles.map((t) => JSON.stringify(t)).join(', ')}`);
  });
}
