import fc from 'fast-check';
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

  it('takes canonical-shaped text exactly as a round trip through Date does (any digits, valid or not)', () => {
    // The Date round trip the field-by-field check replaced, as the reference.
    const roundTrip = (text: string) => {
      const ms = Date.parse(text);
      return !Number.isNaN(ms) && new Date(ms).toISOString() === text;
    };
    const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));
    const shaped = fc
      .tuple(fc.integer({ min: 0, max: 9999 }), two(13), two(32), two(25), two(60), two(61), fc.integer({ min: 0, max: 999 }))
      .map(([y, mo, d, h, mi, s, ms]) => `${String(y).padStart(4, '0')}-${mo}-${d}T${h}:${mi}:${s}.${String(ms).padStart(3, '0')}Z`);
    fc.assert(
      fc.property(shaped, (text) => {
        if (roundTrip(text)) expect(canonicalInstant(text)).toBe(text);
        else expect(canonicalInstant(text)).not.toBe(text);
      }),
      { numRuns: 20_000 },
    );
    for (const text of ['2000-02-29T00:00:00.000Z', '1900-02-29T00:00:00.000Z', '2400-02-29T12:00:00.000Z', '0000-02-29T00:00:00.000Z', '2026-12-31T23:59:59.999Z', '2026-1a-01T00:00:00.000Z', '2026-01-01T00:00:60.000Z'])
      expect(canonicalInstant(text) === text, text).toBe(roundTrip(text));
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
