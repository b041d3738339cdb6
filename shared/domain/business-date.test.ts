// Unit tests for business dates and cutoffs, including DST changes and zones with unusual offsets.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addDays,
  type BusinessCalendar,
  businessDateOf,
  cutoffInstant,
  isValidCutoff,
  isValidTimeZone,
  latestBusinessDate,
  localDate,
  parseBusinessDate,
} from './business-date.ts';

const DEFAULTS: BusinessCalendar = { timeZone: 'UTC', cutoff: '06:00' };
const NEW_YORK: BusinessCalendar = { timeZone: 'America/New_York', cutoff: '06:00' };
const KOLKATA: BusinessCalendar = { timeZone: 'Asia/Kolkata', cutoff: '06:00' };
const CHATHAM: BusinessCalendar = { timeZone: 'Pacific/Chatham', cutoff: '06:00' };

describe('cutoffInstant', () => {
  it('uses the defaults of DESIGN §8', () => {
    expect(cutoffInstant('2026-11-25', DEFAULTS)).toBe('2026-11-26T06:00:00.000Z');
  });

  it.each([
    // Year end and leap day roll over to the next calendar day.
    ['2026-12-31', DEFAULTS, '2027-01-01T06:00:00.000Z'],
    ['2028-02-28', DEFAULTS, '2028-02-29T06:00:00.000Z'],
    ['2026-11-25', { timeZone: 'UTC', cutoff: '00:00' }, '2026-11-26T00:00:00.000Z'],
    ['2026-11-25', { timeZone: 'UTC', cutoff: '23:59' }, '2026-11-26T23:59:00.000Z'],
    // New York: EST is UTC-5, EDT is UTC-4; DST starts 2026-03-08 02:00 and ends 2026-11-01 02:00.
    ['2026-03-06', NEW_YORK, '2026-03-07T11:00:00.000Z'],
    ['2026-03-07', NEW_YORK, '2026-03-08T10:00:00.000Z'],
    ['2026-03-08', NEW_YORK, '2026-03-09T10:00:00.000Z'],
    ['2026-10-30', NEW_YORK, '2026-10-31T10:00:00.000Z'],
    ['2026-10-31', NEW_YORK, '2026-11-01T11:00:00.000Z'],
    ['2026-11-01', NEW_YORK, '2026-11-02T11:00:00.000Z'],
    // 02:30 does not exist on 2026-03-08 in New York: 'compatible' moves it an hour later, to 03:30 EDT.
    ['2026-03-07', { timeZone: 'America/New_York', cutoff: '02:30' }, '2026-03-08T07:30:00.000Z'],
    // 01:30 happens twice on 2026-11-01: 'compatible' takes the earlier one, 01:30 EDT.
    ['2026-10-31', { timeZone: 'America/New_York', cutoff: '01:30' }, '2026-11-01T05:30:00.000Z'],
    // Kolkata is UTC+05:30 all year: 06:00 local is 00:30 UTC, and 04:00 local is the previous UTC day.
    ['2026-11-25', KOLKATA, '2026-11-26T00:30:00.000Z'],
    ['2026-06-30', { timeZone: 'Asia/Kolkata', cutoff: '04:00' }, '2026-06-30T22:30:00.000Z'],
    // Chatham is +12:45 in its winter and +13:45 in summer (DST ends 2026-04-05 03:45, starts 2026-09-27 02:45).
    ['2026-04-03', CHATHAM, '2026-04-03T16:15:00.000Z'],
    ['2026-04-04', CHATHAM, '2026-04-04T17:15:00.000Z'],
    ['2026-06-15', CHATHAM, '2026-06-15T17:15:00.000Z'],
    ['2026-09-26', CHATHAM, '2026-09-26T16:15:00.000Z'],
    ['2026-11-25', CHATHAM, '2026-11-25T16:15:00.000Z'],
  ] as const)('%s in %o → %s', (date, cal, instant) => {
    expect(cutoffInstant(date, cal)).toBe(instant);
  });

  it.each(['2026-02-29', '2026-13-01', '2026-11-31', '2026-1-5', '26-11-25', '2026/11/25', '', 'tomorrow', '2026-11-25T00:00'])(
    'throws on the date %j',
    (date) => {
      expect(() => cutoffInstant(date, DEFAULTS)).toThrow(JSON.stringify(date));
    },
  );

  it('throws on an invalid calendar', () => {
    expect(() => cutoffInstant('2026-11-25', { timeZone: 'Mars/Olympus', cutoff: '06:00' })).toThrow(/time zone/);
    expect(() => cutoffInstant('2026-11-25', { timeZone: 'UTC', cutoff: '24:00' })).toThrow(/cutoff/);
  });
});

describe('validation', () => {
  it.each(['UTC', 'utc', 'America/New_York', 'Asia/Kolkata', 'Pacific/Chatham', 'Europe/London', 'Etc/GMT+5'])('accepts the zone %j', (tz) => {
    expect(isValidTimeZone(tz)).toBe(true);
  });
  it.each(['', 'Mars/Olympus', 'America/Nowhere', 'EST5EDT6', '+05:30', '-08:00', 'UTC+1'])('rejects the zone %j', (tz) => {
    expect(isValidTimeZone(tz)).toBe(false);
  });

  it.each(['00:00', '06:00', '23:59', '12:30'])('accepts the cutoff %j', (text) => {
    expect(isValidCutoff(text)).toBe(true);
  });
  it.each(['24:00', '6:00', '06:60', '06:00:00', '0600', '', ' 06:00', '06:0'])('rejects the cutoff %j', (text) => {
    expect(isValidCutoff(text)).toBe(false);
  });

  it.each(['2026-11-25', '2028-02-29', '2026-12-31', '2026-01-01'])('parses the date %j', (text) => {
    expect(parseBusinessDate(text)).toEqual({ ok: true, value: text });
  });
  it.each(['2026-02-29', '2026-04-31', '2026-00-10', '2026-01-00', '2026-1-5', '20261125', ' 2026-11-25', '2026-11-25 ', '+002026-11-25', ''])(
    'rejects the date %j and names it',
    (text) => {
      const r = parseBusinessDate(text);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.errors.join('; ')).toContain(JSON.stringify(text));
    },
  );
});

describe('latestBusinessDate', () => {
  it.each([
    ['2026-11-26T05:59:59Z', DEFAULTS, '2026-11-24'],
    ['2026-11-26T05:59:59.999Z', DEFAULTS, '2026-11-24'],
    ['2026-11-26T06:00:00Z', DEFAULTS, '2026-11-25'],
    ['2026-11-26T06:00:00.000Z', DEFAULTS, '2026-11-25'],
    ['2026-11-26T23:59:59Z', DEFAULTS, '2026-11-25'],
    ['2026-11-27T01:00:00+02:00', DEFAULTS, '2026-11-25'],
    ['2026-03-08T09:59:59.999Z', NEW_YORK, '2026-03-06'],
    ['2026-03-08T10:00:00.000Z', NEW_YORK, '2026-03-07'],
    ['2026-11-01T10:59:59.999Z', NEW_YORK, '2026-10-30'],
    ['2026-11-01T11:00:00.000Z', NEW_YORK, '2026-10-31'],
    ['2026-11-26T00:29:59.999Z', KOLKATA, '2026-11-24'],
    ['2026-11-26T00:30:00.000Z', KOLKATA, '2026-11-25'],
    // In Chatham the cutoff for 2026-11-25 comes while it is still 2026-11-25 in UTC.
    ['2026-11-25T16:14:59.999Z', CHATHAM, '2026-11-24'],
    ['2026-11-25T16:15:00.000Z', CHATHAM, '2026-11-25'],
  ] as const)('at %s in %o → %s', (now, cal, date) => {
    expect(latestBusinessDate(now, cal)).toBe(date);
  });

  it('picks the later date when a zone skipped a day and two cutoffs coincide', () => {
    // Samoa skipped 2011-12-30; 06:00 that day does not exist, so 'compatible' lands on 2011-12-31 06:00,
    // which is also the cutoff of 2011-12-30. The later business date has then passed as well.
    const apia: BusinessCalendar = { timeZone: 'Pacific/Apia', cutoff: '06:00' };
    expect(cutoffInstant('2011-12-29', apia)).toBe(cutoffInstant('2011-12-30', apia));
    expect(latestBusinessDate(cutoffInstant('2011-12-29', apia), apia)).toBe('2011-12-30');
  });

  it('throws on an instant without a zone', () => {
    expect(() => latestBusinessDate('2026-11-26T06:00:00', DEFAULTS)).toThrow(/instant/);
  });
});

describe('businessDateOf', () => {
  it.each([
    ['2026-11-26T05:00:00.000Z', DEFAULTS, '2026-11-25'],
    ['2026-11-26T05:59:59.999Z', DEFAULTS, '2026-11-25'],
    ['2026-11-26T06:00:00.000Z', DEFAULTS, '2026-11-26'],
    ['2026-11-01T10:59:59.999Z', NEW_YORK, '2026-10-31'],
    ['2026-11-01T11:00:00.000Z', NEW_YORK, '2026-11-01'],
    ['2026-11-25T16:15:00.000Z', CHATHAM, '2026-11-26'],
  ] as const)('%s in %o belongs to %s', (instant, cal, date) => {
    expect(businessDateOf(instant, cal)).toBe(date);
  });
});

describe('addDays and localDate', () => {
  it.each([
    ['2026-11-25', 1, '2026-11-26'],
    ['2026-12-31', 1, '2027-01-01'],
    ['2028-03-01', -1, '2028-02-29'],
    ['2026-03-01', -1, '2026-02-28'],
    ['2026-11-25', 0, '2026-11-25'],
    ['2026-11-25', 365, '2027-11-25'],
  ] as const)('%s + %i → %s', (date, n, result) => {
    expect(addDays(date, n)).toBe(result);
  });

  it('throws on a bad date or a fractional count', () => {
    expect(() => addDays('2026-02-30', 1)).toThrow();
    expect(() => addDays('2026-11-25', 1.5)).toThrow();
  });

  it.each([
    ['2026-11-25T16:15:00.000Z', 'Pacific/Chatham', '2026-11-26'],
    ['2026-11-26T03:00:00.000Z', 'America/New_York', '2026-11-25'],
    ['2026-11-25T18:29:59.999Z', 'Asia/Kolkata', '2026-11-25'],
    ['2026-11-25T18:30:00.000Z', 'Asia/Kolkata', '2026-11-26'],
    ['2026-11-25T23:59:59.999Z', 'UTC', '2026-11-25'],
  ])('%s in %s is %s', (instant, tz, date) => {
    expect(localDate(instant, tz)).toBe(date);
  });
});

describe('properties', () => {
  const zones = ['UTC', 'America/New_York', 'America/Los_Angeles', 'Europe/London', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Pacific/Chatham', 'Asia/Kathmandu'];
  const cutoff = fc
    .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
    .map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
  const date = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2040-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
  const calendar = fc.record({ timeZone: fc.constantFrom(...zones), cutoff: fc.oneof(fc.constant('06:00'), cutoff) });

  it('a cutoff instant belongs to its own date and opens the next one', () => {
    fc.assert(
      fc.property(date, calendar, (d, cal) => {
        const at = cutoffInstant(d, cal);
        expect(latestBusinessDate(at, cal)).toBe(d);
        expect(businessDateOf(at, cal)).toBe(addDays(d, 1));
      }),
      { numRuns: 500 },
    );
  });

  it('the latest business date has a cutoff at or before now, and the next one after', () => {
    const now = fc.date({ min: new Date('2000-01-03T00:00:00Z'), max: new Date('2040-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());
    fc.assert(
      fc.property(now, calendar, (at, cal) => {
        const d = latestBusinessDate(at, cal);
        expect(cutoffInstant(d, cal) <= at).toBe(true);
        expect(cutoffInstant(addDays(d, 1), cal) > at).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
