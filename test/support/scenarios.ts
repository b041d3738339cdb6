// Named scenarios: one firing example per check code, plus a clean order, for table-driven tests.
import type { CheckCode, CheckConfig } from '#shared/domain/checks.ts';
import type { CanonicalEvent } from '#shared/domain/events.ts';
import { at, booking, dispute, order, payment, payout, processorRefund, settlement, shipment, storefrontRefund, transaction, T0 } from './builders.ts';

export type Scenario = {
  /** The key whose state the check runs on. */
  readonly key: string;
  readonly events: () => CanonicalEvent[];
  readonly config?: Partial<CheckConfig>;
  /** The expected amount at risk (minor units), currency and clock instant. */
  readonly amount: number;
  readonly currency: string;
  readonly since: string;
};

/** A fully tied order 1001: paid, captured, shipped and booked. */
export function tiedOrder(number = '1001', pi = `pi_${number}`, total = 5000): CanonicalEvent[] {
  return [
    order({ number, total }),
    transaction({ order: number, pi, amount: total }),
    payment({ pi, order: number, amount: total, capturedAt: at(0.1) }),
    shipment({ order: number, at: at(20) }),
    booking({ order: number, amount: total, at: at(22) }),
  ];
}

const settled: Partial<CheckConfig> = { settlementEnabled: true };

/** One scenario per check code in which that check (and only the overlaps it wins) fires. */
export const FIRING: Record<CheckCode, Scenario> = {
  payment_missing: {
    key: '1001',
    events: () => [order({ number: '1001', total: 5000 })],
    amount: 5000,
    currency: 'USD',
    since: T0,
  },
  capture_mismatch: {
    key: '1001',
    events: () => [order({ total: 5000 }), payment({ pi: 'pi_cm', order: '1001', amount: 4500, capturedAt: at(1) }), shipment({ at: at(5) }), booking({ amount: 5000, at: at(6) })],
    amount: 500,
    currency: 'USD',
    since: at(1),
  },
  duplicate_capture: {
    key: '1001',
    events: () => [
      order({ total: 5000 }),
      payment({ pi: 'pi_d1', order: '1001', amount: 5000, capturedAt: at(1) }),
      payment({ pi: 'pi_d2', order: '1001', amount: 5000, capturedAt: at(2) }),
      shipment({ at: at(5) }),
      booking({ amount: 5000, at: at(6) }),
    ],
    amount: 5000,
    currency: 'USD',
    since: at(2),
  },
  currency_mismatch: {
    key: '1001',
    events: () => [order({ total: 5000 }), payment({ pi: 'pi_eur', order: '1001', amount: 4600, currency: 'EUR', createdAt: at(0.5) }), shipment({ at: at(5) }), booking({ amount: 5000, at: at(6) })],
    amount: 4600,
    currency: 'EUR',
    since: at(0.5),
  },
  refund_missing_in_processor: {
    key: '1001',
    events: () => [...tiedOrder(), storefrontRefund({ amount: 1000, at: at(30) })],
    amount: 1000,
    currency: 'USD',
    since: at(30),
  },
  refund_missing_in_storefront: {
    key: '1001',
    events: () => [...tiedOrder(), processorRefund({ pi: 'pi_1001', amount: 1500, at: at(31) }), booking({ entryType: 'refund', amount: 1500, at: at(32) })],
    amount: 1500,
    currency: 'USD',
    since: at(31),
  },
  captured_not_shipped: {
    key: '1001',
    events: () => [order({ total: 5000 }), payment({ pi: 'pi_cns', order: '1001', capturedAt: at(1) }), booking({ amount: 5000, at: at(3) })],
    amount: 5000,
    currency: 'USD',
    since: at(1),
  },
  shipped_not_captured: {
    key: '1001',
    events: () => [order({ total: 5000, financialStatus: 'pending' }), shipment({ at: at(10) }), booking({ amount: 5000, at: at(3) })],
    amount: 5000,
    currency: 'USD',
    since: at(10),
  },
  shipped_after_cancel: {
    key: '1001',
    events: () => [
      order({ total: 5000, lines: [{ sku: 'SKU-A', quantity: 2, price: 2500 }], financialStatus: 'voided' }),
      order({ total: 5000, lines: [{ sku: 'SKU-A', quantity: 2, price: 2500 }], financialStatus: 'voided', cancelledAt: at(2), updatedAt: at(2) }),
      shipment({ at: at(4), lines: [{ sku: 'SKU-A', quantity: 1 }] }),
    ],
    amount: 2500,
    currency: 'USD',
    since: at(4),
  },
  cancelled_not_refunded: {
    key: '1001',
    events: () => [
      order({ total: 5000 }),
      order({ total: 5000, cancelledAt: at(5), updatedAt: at(5) }),
      payment({ pi: 'pi_cnr', order: '1001', capturedAt: at(1) }),
      booking({ amount: 5000, at: at(3) }),
    ],
    amount: 5000,
    currency: 'USD',
    since: at(5),
  },
  quantity_mismatch: {
    key: '1001',
    events: () => [
      order({ total: 5000, lines: [{ sku: 'SKU-A', quantity: 2, price: 2500 }] }),
      payment({ pi: 'pi_qm', order: '1001', capturedAt: at(1) }),
      shipment({ at: at(8), lines: [{ sku: 'SKU-A', quantity: 1 }] }),
      booking({ amount: 5000, at: at(3) }),
    ],
    amount: 2500,
    currency: 'USD',
    since: at(8),
  },
  not_booked: {
    key: '1001',
    events: () => tiedOrder().filter((e) => e.kind !== 'booking'),
    amount: 5000,
    currency: 'USD',
    since: at(0.1),
  },
  refund_not_booked: {
    key: '1001',
    events: () => [...tiedOrder(), storefrontRefund({ amount: 700, at: at(40) }), processorRefund({ pi: 'pi_1001', amount: 700, at: at(41) })],
    amount: 700,
    currency: 'USD',
    since: at(41),
  },
  booking_mismatch: {
    key: '1001',
    events: () => [...tiedOrder().filter((e) => e.kind !== 'booking'), booking({ amount: 4000, at: at(22) })],
    amount: 1000,
    currency: 'USD',
    since: at(22),
  },
  unsettled: {
    key: '1001',
    events: () => tiedOrder(),
    config: settled,
    amount: 5000,
    currency: 'USD',
    since: at(0.1),
  },
  dispute_open: {
    key: '1001',
    events: () => [...tiedOrder(), dispute({ pi: 'pi_1001', amount: 5000, at: at(50) })],
    amount: 5000,
    currency: 'USD',
    since: at(50),
  },
  auth_expiring: {
    key: '1001',
    events: () => [order({ total: 5000, financialStatus: 'authorized' }), payment({ pi: 'pi_auth', order: '1001', captured: 0, createdAt: at(0.2) })],
    amount: 5000,
    currency: 'USD',
    since: at(0.2),
  },
  orphan_payment: {
    key: 'payment:pi_lost',
    events: () => [payment({ pi: 'pi_lost', amount: 3000, createdAt: at(3) })],
    amount: 3000,
    currency: 'USD',
    since: at(3),
  },
  orphan_shipment: {
    key: 'shipment:shipbob:sh_lost',
    events: () => [shipment({ orderId: '999999', shipmentId: 'sh_lost', at: at(7) })],
    amount: 0,
    currency: 'XXX',
    since: at(7),
  },
  orphan_booking: {
    key: '9999',
    events: () => [booking({ order: '9999', amount: 1234, at: at(9) })],
    amount: 1234,
    currency: 'USD',
    since: at(9),
  },
  payout_unexplained: {
    key: 'payout:po_1',
    events: () => [payout({ payoutId: 'po_1', amount: 10000, at: at(72), lines: [{ net: 6000 }, { net: 3000 }] })],
    config: settled,
    amount: 1000,
    currency: 'USD',
    since: at(72),
  },
};

export { settlement };
