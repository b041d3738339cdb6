import { describe, expect, it } from 'vitest';
import { createGroupCommit } from './group-commit.ts';

describe('group commit', () => {
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
});
