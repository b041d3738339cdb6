import { describe, expect, it } from 'vitest';
import { canonicalInstant, InstantSchema } from './instant.ts';

describe('canonicalInstant', () => {
  it.each([
    ['already canonical', '2026-03-01T04:05:06.789Z', '2026-03-01T04:05:06.789Z'],
    ['canonical on a leap day', '2028-02-29T23:59:59.999Z', '2028-02-29T23:59:59.999Z'],
    ['no milliseconds', '2026-03-01T04:05:06Z', '2026-03-01T04:05:06.000Z'],
    ['an offset', '2026-03-01T04:05:06-05:00', '2026-03-01T09:05:06.000Z'],
    ['a lower-case zone', '2026-03-01T04:05:06.7z', '2026-03-01T04:05:06.700Z'],
    ['microseconds', '2026-03-01T04:05:06.123456Z', '2026-03-01T04:05:06.123Z'],
    ['24:00, the end of the day (ISO 8601)', '2026-03-01T24:00:00.000Z', '2026-03-02T00:00:00.000Z'],
  ])('accepts %s', (_, text, expected) => {
    expect(canonicalInstant(text)).toBe(expected);
  });

  it.each([
    ['a day that does not exist, in canonical shape', '2026-02-30T00:00:00.000Z'],
    ['29 February in a common year, in canonical shape', '2026-02-29T12:00:00.000Z'],
    ['a day that does not exist, with an offset', '2026-02-30T00:00:00+01:00'],
    ['no zone', '2026-03-01T04:05:06.789'],
    ['a date only', '2026-03-01'],
    ['not a date', 'yesterday'],
  ])('refuses %s', (_, text) => {
    expect(canonicalInstant(text)).toBeUndefined();
  });

  it('gives every accepted instant a fixed point: canonical input comes back unchanged', () => {
    for (const text of ['2026-03-01T04:05:06Z', '2026-12-31T23:59:59.5+14:00', '1999-01-01T00:00:00-12:00']) {
      const once = canonicalInstant(text) as string;
      expect(canonicalInstant(once)).toBe(once);
    }
  });

  it('InstantSchema names the bad value', () => {
    const r = InstantSchema.safeParse('2026-02-30T00:00:00.000Z');
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toContain('"2026-02-30T00:00:00.000Z"');
  });
});
