// Unit tests for the warehouse source: ledger rows (default and configured columns) as exact booking events.
import { describe, expect, it } from 'vitest';
import type { CanonicalEvent } from '../domain/events.ts';
import { unwrap, type Result } from '../domain/result.ts';
import type { RawRecord } from '../ports/archive.ts';
import { DEFAULT_NORMALIZE_CONTEXT, type NormalizeContext } from './source.ts';
import { warehouseSource } from './warehouse.ts';

const RECEIVED = '2026-03-01T02:00:00.000Z';
const ctx = DEFAULT_NORMALIZE_CONTEXT;
const errorsOf = <T>(r: Result<T>): string => (r.ok ? '' : r.errors.join('; '));

type Row = Record<string, string>;
const SALE: Row = { entry_id: 'JE-2026-0001', order_id: '#1001', entry_type: 'sale', amount: '199.65', currency: 'USD', booked_at: '2026-02-10' };

const record = (row: unknown): Result<RawRecord> => warehouseSource.fromFeedItem?.(row, 'ledger-csv', RECEIVED) ?? { ok: false, errors: ['no fromFeedItem'] };

/** A row through the whole path: feed item → archived record → events. */
function booking(row: Row, c: NormalizeContext = ctx): Result<CanonicalEvent[]> {
  const raw = record(row);
  return raw.ok ? warehouseSource.normalize(raw.value, c) : raw;
}

const data = (r: Result<CanonicalEvent[]>) => {
  const [event] = unwrap(r);
  if (event?.kind !== 'booking') throw new Error('expected one booking event');
  return event.data;
};

describe('warehouse: default columns', () => {
  it('archives the row as is under its entry id', () => {
    expect(unwrap(record(SALE))).toEqual({
      id: 'warehouse:JE-2026-0001',
      system: 'warehouse',
      topic: 'ledger-entry',
      receivedAt: RECEIVED,
      headers: {},
      body: JSON.stringify(SALE),
    });
  });

  it('gives one booking event with exact money, the order and the entry', () => {
    expect(unwrap(booking(SALE))).toEqual([
      {
        id: 'warehouse:JE-2026-0001',
        source: 'warehouse',
        system: 'warehouse',
        kind: 'booking',
        refs: ['booking:JE-2026-0001', 'order:1001'],
        occurredAt: '2026-02-10T00:00:00.000Z',
        receivedAt: RECEIVED,
        data: {
          entryId: 'JE-2026-0001',
          orderRef: '#1001',
          entryType: 'sale',
          amount: { amount: 19965, currency: 'USD' },
          bookedAt: '2026-02-10T00:00:00.000Z',
          version: '2026-02-10T00:00:00.000Z',
        },
      },
    ]);
  });

  it('reads a refund, entry type and currency in any case, and an instant with an offset', () => {
    const refund = data(booking({ ...SALE, entry_id: 'JE-2', entry_type: ' REFUND ', amount: '20.00', currency: 'usd', booked_at: '2026-02-11T09:30:00+09:00' }));
    expect(refund).toMatchObject({ entryType: 'refund', amount: { amount: 2000, currency: 'USD' }, bookedAt: '2026-02-11T00:30:00.000Z' });
  });

  it('reads an order id of nine or more digits as a Shopify order id', () => {
    const [event] = unwrap(booking({ ...SALE, order_id: '5123456789012' }));
    expect(event?.refs).toEqual(['booking:JE-2026-0001', 'shopify-order:5123456789012']);
  });

  it('keeps an entry with no order as an orphan booking (its own reference only)', () => {
    const [event] = unwrap(booking({ ...SALE, order_id: '' }));
    expect(event?.refs).toEqual(['booking:JE-2026-0001']);
  });

  it('reads a query result: numbers as decimals, NULL as empty', () => {
    const raw = unwrap(warehouseSource.fromFeedItem?.({ ...SALE, amount: 12.5, order_id: null }, 'ledger-csv', RECEIVED) ?? { ok: false, errors: [] });
    const [event] = unwrap(warehouseSource.normalize(raw, ctx));
    expect(event?.refs).toEqual(['booking:JE-2026-0001']);
    expect(event?.kind === 'booking' && event.data.amount).toEqual({ amount: 1250, currency: 'USD' });
    expect(errorsOf(warehouseSource.normalize({ ...raw, body: JSON.stringify({ ...SALE, amount: null }) }, ctx))).toContain('column "amount" (amount) is empty');
  });

  it('applies the configured key rules to the order id', () => {
    const c: NormalizeContext = { ...ctx, keyRules: { stripPrefixes: ['#', 'WEB-'], stripSuffixes: [], caseSensitive: false } };
    const [event] = unwrap(booking({ ...SALE, order_id: 'web-1001' }, c));
    expect(event?.refs).toEqual(['booking:JE-2026-0001', 'order:1001']);
  });
});

describe('warehouse: configured column names', () => {
  const c: NormalizeContext = {
    ...ctx,
    warehouseColumns: { entryId: 'je_id', orderId: 'order_number', entryType: 'kind', amount: 'gross', currency: 'ccy', bookedAt: 'posting_date' },
  };
  const row: Row = { je_id: 'GL-77', order_number: '1002', kind: 'Sale', gross: '50.10', ccy: 'EUR', posting_date: '2026-02-12' };

  it('reads the configured columns in normalize', () => {
    expect(data(booking(row, c))).toEqual({
      entryId: 'GL-77',
      orderRef: '1002',
      entryType: 'sale',
      amount: { amount: 5010, currency: 'EUR' },
      bookedAt: '2026-02-12T00:00:00.000Z',
      version: '2026-02-12T00:00:00.000Z',
    });
  });

  it('ids a row without the default entry_id column by a hash of its content, whatever the column order', () => {
    const a = unwrap(record(row));
    const reordered = Object.fromEntries(Object.entries(row).reverse());
    expect(a.id).toMatch(/^warehouse:[0-9a-f]{64}$/);
    expect(unwrap(record(reordered)).id).toBe(a.id);
    expect(unwrap(record({ ...row, gross: '50.11' })).id).not.toBe(a.id);
    expect(unwrap(booking(row, c))[0]?.id).toBe(a.id);
  });

  it('names a configured column that the row lacks', () => {
    expect(errorsOf(booking(SALE, c))).toContain('column "je_id" (entry id) is missing');
  });
});

describe('warehouse: currencies', () => {
  it.each([
    ['KWD', '12.345', 12345],
    ['KWD', '12.3', 12300],
    ['JPY', '1500', 1500],
    ['USD', '0.01', 1],
    ['USD', '1234567.8', 123456780],
  ])('%s %s is %i minor units', (currency, amount, minor) => {
    expect(data(booking({ ...SALE, currency, amount })).amount).toEqual({ amount: minor, currency });
  });
});

describe('warehouse: bad rows are error results naming the problem', () => {
  it.each([
    ['an unknown entry type', { entry_type: 'chargeback' }, 'entry_type "chargeback" is neither sale nor refund'],
    ['a negative amount', { amount: '-5.00' }, 'amount "-5.00" must be positive'],
    ['a zero amount', { amount: '0.00' }, 'amount "0.00" must be positive'],
    ['an amount needing rounding', { amount: '10.005' }, 'would need rounding'],
    ['a JPY amount with decimals', { currency: 'JPY', amount: '1500.5' }, 'would need rounding'],
    ['a KWD amount with four decimals', { currency: 'KWD', amount: '1.2345' }, 'would need rounding'],
    ['a grouped amount', { amount: '1,299.00' }, 'not a plain decimal'],
    ['an unknown currency', { currency: 'ABC' }, 'unknown currency code "ABC"'],
    ['a date in another format', { booked_at: '10/02/2026' }, 'booked_at "10/02/2026" is not a YYYY-MM-DD date'],
    ['a date that does not exist', { booked_at: '2026-02-30' }, 'booked_at "2026-02-30"'],
    ['a date-time without a zone', { booked_at: '2026-02-10T09:00:00' }, 'booked_at "2026-02-10T09:00:00"'],
    ['an empty entry id', { entry_id: '' }, 'column "entry_id" (entry id) is empty'],
    ['an empty amount', { amount: '' }, 'column "amount" (amount) is empty'],
  ] as const)('%s', (_name, change, message) => {
    const result = booking({ ...SALE, ...change });
    expect(result.ok).toBe(false);
    expect(errorsOf(result)).toContain(message);
  });

  it('lists every problem of a row at once', () => {
    const message = errorsOf(booking({ ...SALE, entry_type: 'x', amount: '-1', booked_at: 'soon' }));
    expect(message).toContain('entry_type');
    expect(message).toContain('must be positive');
    expect(message).toContain('booked_at');
  });

  it('names a missing column', () => {
    const { currency: _, ...row } = SALE;
    expect(errorsOf(booking(row))).toContain('column "currency" (currency) is missing');
  });

  it.each([
    ['another feed', SALE, 'payout-reconciliation-csv', 'no feed'],
    ['a list', [SALE], 'ledger-csv', 'record of column'],
    ['a nested value', { ...SALE, amount: { value: 1 } }, 'ledger-csv', 'column "amount"'],
  ])('refuses %s as a feed item', (_name, item, feed, message) => {
    expect(errorsOf(warehouseSource.fromFeedItem?.(item, feed, RECEIVED) ?? { ok: false, errors: [] })).toContain(message);
  });

  it('gives an error result, not a throw, for a body that is not a row', () => {
    const raw: RawRecord = { id: 'warehouse:x', system: 'warehouse', topic: 'ledger-entry', receivedAt: RECEIVED, headers: {}, body: '[1,2' };
    expect(errorsOf(warehouseSource.normalize(raw, ctx))).toContain('not JSON');
    expect(errorsOf(warehouseSource.normalize({ ...raw, body: 'null' }, ctx))).toContain('record of column');
  });

  it('has no webhook side', () => {
    expect(warehouseSource.verify).toBeUndefined();
    expect(warehouseSource.fromDelivery).toBeUndefined();
  });
});
