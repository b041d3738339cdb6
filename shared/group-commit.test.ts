import { describe, expect, it } from 'vitest';
import { createGroupCommit } from './group-commit.ts';

describe('group commit', () => {
  it('says it is saturated each time an item has to wait for a flush slot, and only then', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let saturated = 0;
    const g = createGroupCommit<number, number>(
      async (items) => {
        await gate;
        return items;
      },
      { maxBatch: 2, maxWaitMs: 1, maxInFlight: 1, onSaturated: () => saturated++ },
    );
    const first = [g.add(1), g.add(2)]; // a full batch: handed over at once
    expect(saturated).toBe(0);
    const waiting = [g.add(3), g.add(4), g.add(5)]; // the only slot is busy
    expect(saturated).toBe(3);
    release();
    expect(await Promise.all([...first, ...waiting])).toEqual([1, 2, 3, 4, 5]);
    await g.add(6); // a free slot again
    expect(saturated).toBe(3);
  });

  it('concurrent adds share one flush, and each gets its own result', async () => {
    const calls: number[][] = [];
    const g = createGroupCommit<number, string>(async (items) => (calls.push([...items]), items.map((i) => `r${i}`)), { maxWaitMs: 5 });
    const results = await Promise.all([1, 2, 3, 4].map((i) => g.add(i)));
    expect(results).toEqual(['r1', 'r2', 'r3', 'r4']);
    expect(calls).toEqual([[1, 2, 3, 4]]);
  });

  it('splits at maxBatch and flushes one batch at a time, in order', async () => {
    const calls: number[][] = [];
    let inFlight = 0;
    const g = createGroupCommit<number, number>(
      async (items) => {
        inFlight++;
        expect(inFlight).toBe(1);
        await new Promise((r) => setTimeout(r, 3));
        calls.push([...items]);
        inFlight--;
        return items;
      },
      { maxBatch: 3, maxWaitMs: 1 },
    );
    const all = await Promise.all(Array.from({ length: 8 }, (_, i) => g.add(i)));
    expect(all).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(calls.flat()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(Math.max(...calls.map((c) => c.length))).toBeLessThanOrEqual(3);
  });

  it('a failed flush rejects every add in that batch, and the next batch still runs', async () => {
    let n = 0;
    const g = createGroupCommit<string, string>(async (items) => {
      if (n++ === 0) throw new Error('disk full');
      return items;
    });
    const first = await Promise.allSettled([g.add('a'), g.add('b')]);
    expect(first.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await g.add('c')).toBe('c');
    await g.drain();
  });

  it('with maxInFlight 2, hands the next batch over while one is still flushing, never more than two, in order', async () => {
    const handed: number[][] = [];
    let inFlight = 0;
    let most = 0;
    const g = createGroupCommit<number, number>(
      async (items) => {
        handed.push([...items]);
        most = Math.max(most, ++inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        return items.map((i) => i * 10);
      },
      { maxBatch: 2, maxWaitMs: 1, maxInFlight: 2 },
    );
    const all = await Promise.all(Array.from({ length: 9 }, (_, i) => g.add(i)));
    expect(all).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80]);
    expect(handed.flat()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(most).toBe(2);
  });

  it('drain waits for every flush in flight and for what is still pending', async () => {
    const done: number[] = [];
    const g = createGroupCommit<number, number>(
      async (items) => {
        await new Promise((r) => setTimeout(r, 4));
        done.push(...items);
        return items;
      },
      { maxBatch: 1, maxWaitMs: 50, maxInFlight: 2 },
    );
    void g.add(1);
    void g.add(2);
    void g.add(3);
    await g.drain();
    expect(done).toEqual([1, 2, 3]);
  });

  it('a maxBatch function sizes each batch from what is in the system (waiting and being flushed)', async () => {
    const handed: number[][] = [];
    const seen: number[] = [];
    const g = createGroupCommit<number, number>(
      async (items) => {
        handed.push([...items]);
        await new Promise((r) => setTimeout(r, 3));
        return items;
      },
      { maxInFlight: 2, maxWaitMs: 50, maxBatch: (inSystem) => (seen.push(inSystem), Math.max(4, Math.ceil(inSystem / 2))) },
    );
    await Promise.all(Array.from({ length: 8 }, (_, i) => g.add(i)));
    expect(handed).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]);
    // The second batch was sized with the first still being flushed: 4 waiting + 4 flushing.
    expect(seen).toContain(8);
  });
});
