import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runChecks } from '../domain/checks.ts';
import { CanonicalEventSchema, type CanonicalEvent, type EventOfKind } from '../domain/events.ts';
import { instantFromUnixSeconds } from '../domain/instant.ts';
import { orderFacts } from '../domain/order-facts.ts';
import { applyAll } from '../domain/routing.ts';
import { unwrap, type Result } from '../domain/result.ts';
import { DEFAULT_NORMALIZE_CONTEXT } from './source.ts';
import { PAYOUT_RECONCILIATION_TOPIC, stripeSource } from './stripe.ts';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/real/stripe/', import.meta.url));
const RECEIVED = '2026-11-23T08:00:00.000Z';

type Row = Record<string, string>;

/** A row of `payout_reconciliation.itemized.5` as csv-parse gives it (every cell a string), run with explicit columns. */
function row(o: Partial<Row> = {}): Row {
  return {
    automatic_payout_id: 'po_1QXYZ',
    automatic_payout_effective_at: '2026-11-22 00:00:00',
    automatic_payout_effective_at_utc: '2026-11-22 00:00:00',
    balance_transaction_id: 'txn_3Q1',
    created_utc: '2026-11-20 10:03:30',
    created: '2026-11-20 10:03:30',
    available_on_utc: '2026-11-22 00:00:00',
    currency: 'usd',
    gross: '12.34',
    fee: '0.66',
    net: '11.68',
    reporting_category: 'charge',
    source_id: 'ch_3Q1',
    description: 'Order #80213',
    customer_facing_amount: '12.34',
    customer_facing_currency: 'usd',
    charge_id: 'ch_3Q1',
    payment_intent_id: 'pi_3Q1',
    payment_method_type: 'card',
    card_brand: 'visa',
    'payment_metadata[order_number]': '#80213',
    ...o,
  };
}

function normalizeRow(r: Row): Result<CanonicalEvent[]> {
  const raw = stripeSource.fromFeedItem?.(r, 'payout-reconciliation-csv', RECEIVED);
  if (!raw?.ok) return raw ?? { ok: false, errors: ['no feed support'] };
  const result = stripeSource.normalize(raw.value, DEFAULT_NORMALIZE_CONTEXT);
  if (result.ok) for (const e of result.value) expect(CanonicalEventSchema.safeParse(e).success).toBe(true);
  return result;
}

const kinds = <K extends CanonicalEvent['kind']>(evts: CanonicalEvent[], kind: K) => evts.filter((e): e is EventOfKind<K> => e.kind === kind);

describe('payout reconciliation rows: records', () => {
  it('a row becomes stripe-report:<balance transaction id> with the report topic and the row as JSON', () => {
    const r = row();
    expect(stripeSource.fromFeedItem?.(r, 'payout-reconciliation-csv', RECEIVED)).toEqual({
      ok: true,
      value: { id: 'stripe-report:txn_3Q1', system: 'stripe', topic: PAYOUT_RECONCILIATION_TOPIC, receivedAt: RECEIVED, headers: {}, body: JSON.stringify(r) },
    });
    expect(stripeSource.fromFeedItem?.(row({ balance_transaction_id: '' }), 'payout-reconciliation-csv', RECEIVED)?.ok).toBe(false);
    expect(stripeSource.fromFeedItem?.('txn_1,usd', 'payout-reconciliation-csv', RECEIVED)?.ok).toBe(false);
  });
});

describe('payout reconciliation rows: normalization', () => {
  it('a charge row gives a settlement of its payment and a line of its payout, in exact minor units', () => {
    const evts = unwrap(normalizeRow(row()));
    expect(evts.map((e) => [e.id, e.kind])).toEqual([
      ['stripe-report:txn_3Q1', 'settlement'],
      ['stripe-report:txn_3Q1/payout', 'payout'],
    ]);
    const [settlement] = kinds(evts, 'settlement');
    expect(settlement?.refs).toEqual(['payment:pi_3Q1', 'charge:ch_3Q1', 'order:80213']);
    expect(settlement).toMatchObject({ source: 'processor', system: 'stripe', occurredAt: '2026-11-20T10:03:30.000Z', receivedAt: RECEIVED });
    expect(settlement?.data).toEqual({
      balanceTransactionId: 'txn_3Q1',
      category: 'charge',
      sourceId: 'ch_3Q1',
      currency: 'USD',
      gross: 1234,
      fee: 66,
      net: 1168,
      payoutId: 'po_1QXYZ',
      paymentId: 'pi_3Q1',
      chargeId: 'ch_3Q1',
      effectiveAt: '2026-11-22T00:00:00.000Z',
    });
    const [payout] = kinds(evts, 'payout');
    // Only the payout reference: one payout spans many orders and must not alias them together.
    expect(payout?.refs).toEqual(['payout:po_1QXYZ']);
    expect(payout?.data).toEqual({
      payoutId: 'po_1QXYZ',
      version: '2026-11-20T10:03:30.000Z',
      snapshot: null,
      lines: [{ balanceTransactionId: 'txn_3Q1', category: 'charge', sourceId: 'ch_3Q1', currency: 'USD', gross: 1234, fee: 66, net: 1168 }],
    });
  });

  it('keeps signs as the report gives them (a refund row with a returned fee of -0.30)', () => {
    const evts = unwrap(normalizeRow(row({ balance_transaction_id: 'txn_re1', reporting_category: 'refund', source_id: 're_3Q1', gross: '-5.00', fee: '-0.30', net: '-4.70' })));
    const [settlement] = kinds(evts, 'settlement');
    expect(settlement?.data).toMatchObject({ category: 'refund', sourceId: 're_3Q1', chargeId: 'ch_3Q1', paymentId: 'pi_3Q1', gross: -500, fee: -30, net: -470 });
  });

  it('JPY (zero-decimal) rows stay whole', () => {
    const [settlement] = kinds(unwrap(normalizeRow(row({ currency: 'jpy', gross: '5000', fee: '180', net: '4820' }))), 'settlement');
    expect(settlement?.data).toMatchObject({ currency: 'JPY', gross: 5000, fee: 180, net: 4820 });
  });

  it('a row naming no payment or charge is only a payout line; a py_/ch_ source stands in for a missing charge_id', () => {
    const adj = unwrap(normalizeRow(row({ balance_transaction_id: 'txn_adj', reporting_category: 'other_adjustment', source_id: 'adj_1', charge_id: '', payment_intent_id: '', gross: '-1.00', fee: '0.00', net: '-1.00' })));
    expect(adj.map((e) => e.kind)).toEqual(['payout']);
    const py = unwrap(normalizeRow(row({ balance_transaction_id: 'txn_py', source_id: 'py_9', charge_id: '', payment_intent_id: '', 'payment_metadata[order_number]': '' })));
    const [settlement] = kinds(py, 'settlement');
    expect(settlement?.refs).toEqual(['charge:py_9']);
    expect(settlement?.data).toMatchObject({ paymentId: null, chargeId: 'py_9' });
  });

  it('reads times from _utc columns, zoned instants or unix seconds, and dates a row without any by its arrival', () => {
    const at = (o: Partial<Row>) => kinds(unwrap(normalizeRow(row(o))), 'settlement')[0]?.occurredAt;
    expect(at({ created_utc: '2026-11-20T10:03:30+01:00' })).toBe('2026-11-20T09:03:30.000Z');
    expect(at({ created_utc: '', created: '1763633010' })).toBe(instantFromUnixSeconds(1_763_633_010));
    expect(at({ created_utc: '', created: '' })).toBe('2026-11-22T00:00:00.000Z');
    expect(at({ created_utc: '', created: '', automatic_payout_effective_at: '', automatic_payout_effective_at_utc: '' })).toBe(RECEIVED);
  });

  it('a row that cannot be read exactly is an error naming the column, never a throw', () => {
    const cases: [Partial<Row>, string][] = [
      [{ automatic_payout_id: '' }, 'automatic_payout_id'],
      [{ gross: '12,34' }, 'gross'],
      [{ fee: '0.665' }, 'fee'],
      [{ net: '' }, 'net'],
      [{ currency: 'zzz' }, 'gross'],
      [{ reporting_category: '' }, 'reporting_category'],
      [{ created_utc: 'last tuesday' }, 'created_utc'],
    ];
    for (const [o, column] of cases) {
      const r = normalizeRow(row(o));
      expect(r.ok, column).toBe(false);
      expect(r.ok ? '' : r.errors.join('; ')).toContain(column);
    }
    const garbage = { id: 'stripe-report:txn_x', system: 'stripe', topic: PAYOUT_RECONCILIATION_TOPIC, receivedAt: RECEIVED, headers: {}, body: '{{' };
    expect(stripeSource.normalize(garbage, DEFAULT_NORMALIZE_CONTEXT).ok).toBe(false);
  });

  it('the published balance transaction fixture, as the row the report lists for it, settles its charge', () => {
    const txn = JSON.parse(readFileSync(`${FIXTURES}openapi_fixture_balance_transaction.json`, 'utf8')) as Record<string, unknown>;
    const created = instantFromUnixSeconds(txn['created'] as number);
    const major = (minor: number) => (minor / 100).toFixed(2);
    const r: Row = {
      // The fixture lists no payout; the payout fixture names this transaction as its own, so its id stands in.
      automatic_payout_id: 'po_1Pgc79B7WZ01zgkWu1KToYf4',
      balance_transaction_id: txn['id'] as string,
      created_utc: created.slice(0, 19).replace('T', ' '),
      currency: txn['currency'] as string,
      gross: major(txn['amount'] as number),
      fee: major(txn['fee'] as number),
      net: major(txn['net'] as number),
      reporting_category: txn['reporting_category'] as string,
      source_id: txn['source'] as string,
    };
    const [settlement] = kinds(unwrap(normalizeRow(r)), 'settlement');
    expect(settlement?.refs).toEqual(['charge:ch_1PgafuB7WZ01zgkWXYmPNZs8']);
    expect(settlement?.data).toMatchObject({ balanceTransactionId: 'txn_1PgaxNB7WZ01zgkWEV3TLf40', currency: 'USD', gross: 100, fee: 0, net: 100, chargeId: 'ch_1PgafuB7WZ01zgkWXYmPNZs8' });
    expect(settlement?.occurredAt).toBe(created);
  });
});

describe('payouts and settlement in order state', () => {
  const paid = (amount: number, o: { id?: string; created?: number; status?: string } = {}) => ({
    id: o.id ?? 'evt_po_paid',
    object: 'event',
    created: o.created ?? 1_763_769_600,
    livemode: true,
    type: `payout.${o.status === 'in_transit' ? 'updated' : 'paid'}`,
    data: {
      object: { id: 'po_1QXYZ', object: 'payout', amount, currency: 'usd', arrival_date: 1_763_769_600, automatic: true, status: o.status ?? 'paid', reconciliation_status: 'completed' },
    },
  });
  const payoutEvents = (evt: object) => {
    const raw = unwrap(stripeSource.fromFeedItem?.(evt, 'events', RECEIVED) ?? { ok: false, errors: [] });
    return unwrap(stripeSource.normalize(raw, DEFAULT_NORMALIZE_CONTEXT));
  };
  const rows = [
    row(),
    row({ balance_transaction_id: 'txn_re1', reporting_category: 'refund', source_id: 're_3Q1', gross: '-5.00', fee: '-0.30', net: '-4.70' }),
    row({ balance_transaction_id: 'txn_2', source_id: 'ch_2', charge_id: 'ch_2', payment_intent_id: 'pi_2', 'payment_metadata[order_number]': '80214', gross: '100.00', fee: '3.20', net: '96.80' }),
  ];
  const rowEvents = rows.flatMap((r) => unwrap(normalizeRow(r)));

  it('a payout.* event is the payout snapshot; a later status wins within the same second', () => {
    const transit = payoutEvents(paid(10378, { id: 'evt_zz', status: 'in_transit' }));
    const done = payoutEvents(paid(10378, { id: 'evt_aa' }));
    expect(transit[0]?.kind).toBe('payout');
    for (const evts of [[...transit, ...done], [...done, ...transit]]) {
      expect(applyAll(evts).docs.get('payout:po_1QXYZ')?.processor.payouts['po_1QXYZ']?.snapshot?.data.status).toBe('paid');
    }
  });

  it('settlements land on their orders; the payout and its lines on the payout, which ties to its net', () => {
    // 11.68 - 4.70 + 96.80 = 103.78
    const ledger = applyAll([...payoutEvents(paid(10378)), ...rowEvents]);
    expect([...ledger.docs.keys()].sort()).toEqual(['80213', '80214', 'payout:po_1QXYZ']);
    const f = orderFacts(ledger.docs.get('80213') as never);
    expect([...f.settledIds].sort()).toEqual(['ch_3Q1', 'pi_3Q1', 're_3Q1']);
    const payoutDoc = ledger.docs.get('payout:po_1QXYZ');
    expect(Object.keys(payoutDoc?.processor.payouts['po_1QXYZ']?.lines ?? {}).sort()).toEqual(['txn_2', 'txn_3Q1', 'txn_re1']);
    expect(runChecks(payoutDoc as never, { processorGateways: ['stripe'], settlementEnabled: true })).toEqual([]);
  });

  it('a payout whose listed lines do not add up to it is unexplained, with the residual named', () => {
    const ledger = applyAll([...payoutEvents(paid(10378)), ...rowEvents.filter((e) => !e.id.startsWith('stripe-report:txn_2'))]);
    const breaks = runChecks(ledger.docs.get('payout:po_1QXYZ') as never, { processorGateways: ['stripe'], settlementEnabled: true });
    expect(breaks.map((b) => [b.code, b.amount, b.currency, b.facts['residual']])).toEqual([['payout_unexplained', 9680, 'USD', 9680]]);
  });
});
