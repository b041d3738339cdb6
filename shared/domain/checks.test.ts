import { describe, expect, it } from 'vitest';
import { at, booking, dispute, order, payment, processorRefund, settlement, shipment, storefrontRefund, T0, transaction } from '../../test/support/builders.ts';
import { FIRING, tiedOrder } from '../../test/support/scenarios.ts';
import { CHECK_CODES, CHECKS, DEFAULT_CHECK_CONFIG, runChecks, windowOf, type CheckConfig, type CheckCode } from './checks.ts';
import type { CanonicalEvent } from './events.ts';
import { applyAll } from './routing.ts';

function breaksFor(events: CanonicalEvent[], key: string, config: Partial<CheckConfig> = {}) {
  const ledger = applyAll(events);
  const state = ledger.docs.get(key);
  if (!state) throw new Error(`no state under ${key}; have ${[...ledger.docs.keys()].join(', ')}`);
  return runChecks(state, { ...DEFAULT_CHECK_CONFIG, ...config });
}

const codes = (events: CanonicalEvent[], key = '1001', config: Partial<CheckConfig> = {}) => breaksFor(events, key, config).map((b) => b.code).sort();

describe('every check unit', () => {
  it('has the table of DESIGN §6: one unit per code, with clock, window, owner', () => {
    expect(CHECKS.map((c) => c.code)).toEqual([...CHECK_CODES]);
    const table = Object.fromEntries(CHECKS.map((c) => [c.code, [c.windowHours, c.owner]]));
    expect(table).toEqual({
      payment_missing: [6, 'payments'],
      capture_mismatch: [null, 'payments'],
      duplicate_capture: [null, 'payments'],
      currency_mismatch: [null, 'data'],
      refund_missing_in_processor: [24, 'payments'],
      refund_missing_in_storefront: [24, 'support'],
      captured_not_shipped: [48, 'fulfilment'],
      shipped_not_captured: [24, 'payments'],
      shipped_after_cancel: [null, 'fulfilment'],
      cancelled_not_refunded: [24, 'support'],
      quantity_mismatch: [72, 'fulfilment'],
      not_booked: [48, 'finance'],
      refund_not_booked: [48, 'finance'],
      booking_mismatch: [null, 'finance'],
      unsettled: [120, 'payments'],
      dispute_open: [null, 'payments'],
      auth_expiring: [120, 'payments'],
      orphan_payment: [24, 'data'],
      orphan_shipment: [24, 'data'],
      orphan_booking: [24, 'data'],
      payout_unexplained: [24, 'payments'],
    });
    for (const c of CHECKS) {
      expect(c.description.length).toBeGreaterThan(20);
      expect(c.clock.length).toBeGreaterThan(3);
    }
  });
});

describe.each(CHECK_CODES.map((code) => [code] as const))('%s', (code: CheckCode) => {
  const scenario = FIRING[code];

  it('fires alone on its scenario, with its amount at risk, currency and clock', () => {
    const breaks = breaksFor(scenario.events(), scenario.key, scenario.config);
    expect(breaks.map((b) => b.code)).toEqual([code]);
    const [b] = breaks;
    expect(b).toMatchObject({
      id: `${scenario.key}:${code}`,
      orderKey: scenario.key,
      amount: scenario.amount,
      currency: scenario.currency,
      since: scenario.since,
      windowHours: windowOf(code, DEFAULT_CHECK_CONFIG),
    });
  });

  it('does not fire on a fully tied order', () => {
    expect(codes(tiedOrder())).toEqual([]);
  });

  it('takes its window and owner from configuration', () => {
    const config = { ...scenario.config, windows: { [code]: 1 }, owners: { [code]: 'night-shift' } };
    const [b] = breaksFor(scenario.events(), scenario.key, config);
    expect(b?.windowHours).toBe(1);
    expect(b?.owner).toBe('night-shift');
  });
});

describe('does not fire when the condition is not met', () => {
  it('payment_missing: not paid through the processor, or something was captured', () => {
    expect(codes([order({ gateways: ['manual'] })])).toEqual([]);
    expect(codes([order({ financialStatus: 'pending' })])).toEqual([]);
    expect(codes([order(), payment({ pi: 'pi_x', order: '1001' }), shipment(), booking({ amount: 5000 })])).toEqual([]);
  });

  it('capture_mismatch: amounts equal once all captures are in', () => {
    expect(codes([...tiedOrder(), payment({ pi: 'pi_1001', order: '1001', amount: 5000, capturedAt: at(0.1), at: at(1), rank: 1 })])).toEqual([]);
  });

  it('duplicate_capture: two payments that together equal the total are a split, not a duplicate', () => {
    const events = [
      order({ total: 5000 }),
      payment({ pi: 'pi_a', order: '1001', amount: 3000, capturedAt: at(1) }),
      payment({ pi: 'pi_b', order: '1001', amount: 2000, capturedAt: at(2) }),
      shipment(),
      booking({ amount: 5000 }),
    ];
    expect(codes(events)).toEqual([]);
  });

  it('duplicate_capture supersedes capture_mismatch', () => {
    expect(codes(FIRING.duplicate_capture.events())).toEqual(['duplicate_capture']);
  });

  it('currency_mismatch: a payment in the presentment currency of a foreign-currency order ties', () => {
    const events = [
      order({ total: 5000, currency: 'USD', presentmentCurrency: 'EUR', presentmentTotal: 4600 }),
      payment({ pi: 'pi_eur', order: '1001', amount: 4600, currency: 'EUR' }),
      shipment(),
      booking({ amount: 5000 }),
    ];
    expect(codes(events)).toEqual([]);
  });

  it('refunds: equal refunds on both sides tie; a refund through another gateway is not the processor’s', () => {
    const both = [...tiedOrder(), storefrontRefund({ amount: 1000, at: at(30) }), processorRefund({ pi: 'pi_1001', amount: 1000, at: at(30) }), booking({ entryType: 'refund', amount: 1000, at: at(31) })];
    expect(codes(both)).toEqual([]);
    expect(codes([...tiedOrder(), storefrontRefund({ amount: 1000, gateway: 'gift_card' })])).toEqual([]);
  });

  it('refund_missing_in_storefront counts what the charge reports refunded when no refund object came', () => {
    const events = [...tiedOrder(), payment({ pi: 'pi_1001', order: '1001', refunded: 800, capturedAt: at(0.1), at: at(33), rank: 1 })];
    const b = breaksFor(events, '1001').find((x) => x.code === 'refund_missing_in_storefront');
    expect(b).toMatchObject({ amount: 800, since: at(33) });
  });

  it('captured_not_shipped: not for cancelled orders, digital-only orders, or once shipped', () => {
    const digital = [order({ lines: [{ sku: 'EBOOK', quantity: 1, price: 5000, requiresShipping: false }] }), payment({ pi: 'pi_dg', order: '1001' }), booking({ amount: 5000 })];
    expect(codes(digital)).toEqual([]);
    expect(codes([...FIRING.captured_not_shipped.events(), shipment({ at: at(30) })])).toEqual([]);
  });

  it('shipped_not_captured supersedes payment_missing when the order says paid', () => {
    expect(codes([order({ total: 5000 }), shipment({ at: at(10) }), booking({ amount: 5000 })])).toEqual(['shipped_not_captured']);
  });

  it('cancelled_not_refunded: clears once the capture is refunded', () => {
    const events = [...FIRING.cancelled_not_refunded.events(), processorRefund({ pi: 'pi_cnr', amount: 5000, at: at(6) }), storefrontRefund({ amount: 5000, at: at(6) }), booking({ entryType: 'refund', amount: 5000, at: at(7) })];
    expect(codes(events)).toEqual([]);
  });

  it('quantity_mismatch: split shipments add up; refunded lines need not ship', () => {
    const split = [
      order({ total: 5000, lines: [{ sku: 'SKU-A', quantity: 2, price: 2500 }] }),
      payment({ pi: 'pi_sp', order: '1001' }),
      shipment({ shipmentId: 'sh_1', at: at(8), lines: [{ sku: 'SKU-A', quantity: 1 }] }),
      shipment({ shipmentId: 'sh_2', at: at(9), lines: [{ sku: 'SKU-A', quantity: 1 }] }),
      booking({ amount: 5000 }),
    ];
    expect(codes(split)).toEqual([]);
    const refundedLine = [
      ...FIRING.quantity_mismatch.events(),
      storefrontRefund({ amount: 2500, lines: [{ sku: 'SKU-A', quantity: 1, restockType: 'cancel' }], at: at(9) }),
      processorRefund({ pi: 'pi_qm', amount: 2500, at: at(9) }),
      booking({ entryType: 'refund', amount: 2500, at: at(9) }),
    ];
    expect(codes(refundedLine)).toEqual([]);
  });

  it('quantity_mismatch: over-shipment values the extra units', () => {
    const over = [order({ total: 2500, lines: [{ sku: 'SKU-A', quantity: 1, price: 2500 }] }), payment({ pi: 'pi_ov', order: '1001', amount: 2500 }), shipment({ lines: [{ sku: 'SKU-A', quantity: 3 }] }), booking({ amount: 2500 })];
    expect(breaksFor(over, '1001')).toMatchObject([{ code: 'quantity_mismatch', amount: 5000 }]);
  });

  it('booking_mismatch: several sale entries add up to the total', () => {
    const events = [...tiedOrder().filter((e) => e.kind !== 'booking'), booking({ amount: 3000 }), booking({ amount: 2000 })];
    expect(codes(events)).toEqual([]);
  });

  it('unsettled: runs only with a settlement feed, and clears once the payment is in a payout', () => {
    expect(codes(tiedOrder())).toEqual([]);
    expect(codes([...tiedOrder(), settlement({ pi: 'pi_1001', net: 4825 })], '1001', { settlementEnabled: true })).toEqual([]);
  });

  it('dispute_open: a won or lost dispute is closed', () => {
    expect(codes([...tiedOrder(), dispute({ pi: 'pi_1001', amount: 5000, status: 'won', disputeId: 'dp_1', at: at(60) })])).toEqual([]);
    expect(
      codes([...tiedOrder(), dispute({ pi: 'pi_1001', amount: 5000, disputeId: 'dp_1', at: at(50) }), dispute({ pi: 'pi_1001', amount: 5000, status: 'won', disputeId: 'dp_1', at: at(60) })]),
    ).toEqual([]);
  });

  it('auth_expiring: not once captured, nor on a cancelled order', () => {
    const captured = [...FIRING.auth_expiring.events(), payment({ pi: 'pi_auth', order: '1001', amount: 5000, capturedAt: at(30), at: at(30), rank: 1 })];
    expect(codes(captured)).not.toContain('auth_expiring');
    expect(codes([...FIRING.auth_expiring.events(), order({ total: 5000, financialStatus: 'voided', cancelledAt: at(2), updatedAt: at(2) })])).toEqual([]);
  });

  it('payout_unexplained: a payout whose lines add up is explained; needs the settlement feed', () => {
    const events = FIRING.payout_unexplained.events();
    expect(codes(events, 'payout:po_1')).toEqual([]);
    const payoutEvent = events[0];
    if (payoutEvent?.kind !== 'payout') throw new Error('expected a payout');
    const explained = { ...payoutEvent, id: 'stripe:evt_lines', data: { ...payoutEvent.data, snapshot: null, lines: [{ ...payoutEvent.data.lines[0]!, balanceTransactionId: 'txn_extra', net: 1000, gross: 1000 }] } };
    expect(codes([...events, explained], 'payout:po_1', { settlementEnabled: true })).toEqual([]);
  });
});

describe('shared definitions', () => {
  it('test orders, zero-value orders and orders cancelled before capture are tied by definition', () => {
    expect(codes([order({ test: true }), shipment()])).toEqual([]);
    expect(codes([order({ total: 0, lines: [{ sku: 'FREE', quantity: 1, price: 0 }] }), shipment({ lines: [{ sku: 'FREE', quantity: 1 }] })])).toEqual([]);
    expect(codes([order({ financialStatus: 'voided', cancelledAt: at(1) }), payment({ pi: 'pi_v', order: '1001', captured: 0 })])).toEqual([]);
  });

  it('a cancelled, uncaptured order that shipped still breaks: goods left for nothing', () => {
    expect(codes(FIRING.shipped_after_cancel.events())).toEqual(['shipped_after_cancel']);
  });

  it('a state without a storefront order yields only orphan breaks', () => {
    const events = [payment({ pi: 'pi_o', order: '7777', amount: 2000 }), shipment({ order: '7777', byNumber: true }), booking({ order: '7777', amount: 999 })];
    expect(codes(events, '7777')).toEqual(['orphan_booking', 'orphan_payment', 'orphan_shipment']);
  });

  it('test-mode payments are not orphans', () => {
    expect(codes([payment({ pi: 'pi_test', livemode: false })], 'payment:pi_test')).toEqual([]);
  });

  it('facts name the systems, gateways, SKUs and carriers involved', () => {
    const [b] = breaksFor(FIRING.quantity_mismatch.events(), '1001');
    expect(b?.facts).toMatchObject({
      systems: ['logistics', 'processor', 'storefront', 'warehouse'],
      gateways: ['stripe'],
      skus: ['SKU-A'],
      carriers: ['USPS'],
      quantities: ['SKU-A: ordered 2, shipped 1'],
    });
  });

  it('a clean order links a processor payment through the storefront transaction (no metadata)', () => {
    const events = [order(), transaction({ pi: 'pi_nometa' }), payment({ pi: 'pi_nometa' }), shipment(), booking({ amount: 5000 })];
    const ledger = applyAll(events);
    expect([...ledger.docs.keys()]).toEqual(['1001']);
    expect(codes(events)).toEqual([]);
  });

  it('never reads the clock: the same state gives the same breaks', () => {
    const state = applyAll(FIRING.captured_not_shipped.events()).docs.get('1001');
    expect(state && runChecks(state)).toEqual(state && runChecks(state));
    expect(T0).toBe('2026-11-20T10:00:00.000Z');
  });
});
