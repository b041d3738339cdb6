// Renders 3PL shipments as ShipBob webhooks (2026-01 Order and Shipment bodies) and ledger entries as the warehouse CSV.
import { CATALOGUE, GIFT_CARD, MIN, major, type Carrier, type Ms, type Rng, type Story } from './shop.ts';
import { isoZ, toCsv, type Rendered } from './wire.ts';

/** One parcel as ShipBob tracks it; still processing while `shippedAt` is null. */
export type ShipParcel = {
  readonly id: number;
  readonly shippedAt: Ms | null;
  readonly deliveredAt: Ms | null;
  readonly carrier: Carrier;
  readonly tracking: string;
  readonly items: readonly { readonly sku: string; readonly name: string; readonly qty: number }[];
};

/** A ShipBob order: the store's references to it, what it holds, and its parcels. */
export type ShipOrder = {
  readonly group: string;
  readonly sbOrderId: number;
  /** `reference_id`: the Shopify order id, or the order number for some channels. */
  readonly referenceId: string;
  readonly orderNumber: string;
  readonly createdAt: Ms;
  readonly recipient: { readonly name: string; readonly city: string; readonly country: string };
  readonly products: readonly { readonly sku: string; readonly name: string; readonly qty: number; readonly unitPrice: number }[];
  readonly parcels: readonly ShipParcel[];
};

const productId = (sku: string) => 41_020_000 + 37 * Math.max(0, [...CATALOGUE, GIFT_CARD].findIndex((p) => p.sku === sku));
const itemId = (sku: string) => 88_300_000 + 53 * Math.max(0, [...CATALOGUE, GIFT_CARD].findIndex((p) => p.sku === sku));

/** The ShipBob view of a storefront order (physical lines only: ShipBob never sees gift cards). */
export function shipOrderOf(s: Story): ShipOrder {
  const name = (i: number) => {
    const l = s.pricing.lines[i];
    return { sku: l?.product.sku ?? '', name: l ? `${l.product.title} - ${l.product.variant}` : '' };
  };
  return {
    group: `order:${s.number}`,
    sbOrderId: s.shipbobOrderId,
    referenceId: s.shipbobRef === 'id' ? String(s.orderId) : String(s.number),
    orderNumber: `#${s.number}`,
    createdAt: s.createdAt,
    recipient: { name: `${s.customer.first} ${s.customer.last}`, city: s.customer.city, country: s.customer.country },
    products: s.pricing.lines.filter((l) => !l.product.giftCard).map((l) => ({ sku: l.product.sku, name: `${l.product.title} - ${l.product.variant}`, qty: l.qty, unitPrice: l.unitShop / 100 })),
    parcels: s.shipments.map((p) => ({ id: p.id, shippedAt: p.shippedAt, deliveredAt: p.deliveredAt, carrier: p.carrier, tracking: p.tracking, items: p.lines.map((x) => ({ ...name(x.index), qty: x.qty })) })),
  };
}

function address(o: ShipOrder) {
  return { address1: `${100 + (o.sbOrderId % 800)} Example Street`, address2: null, city: o.recipient.city, company_name: null, country: o.recipient.country, state: null, zip_code: String(10000 + (o.sbOrderId % 89999)) };
}

function shipmentBody(o: ShipOrder, p: ShipParcel, asOf: Ms, at: Ms) {
  const shipped = p.shippedAt !== null && p.shippedAt <= asOf;
  const delivered = p.deliveredAt !== null && p.deliveredAt <= asOf;
  return {
    id: p.id,
    order_id: o.sbOrderId,
    reference_id: o.referenceId,
    recipient: { name: o.recipient.name, full_name: o.recipient.name, address: address(o), email: null, phone_number: null },
    created_date: isoZ(o.createdAt + 2 * MIN),
    last_update_at: isoZ(at),
    last_tracking_update_at: shipped ? isoZ(at) : null,
    status: shipped ? 'Completed' : 'Processing',
    status_details: shipped ? [] : [{ id: 3, name: 'Processing', description: 'Awaiting inventory allocation' }],
    location: { id: 7, name: 'Cicero (IL)' },
    invoice_amount: shipped ? 7.85 + p.items.length * 0.35 : null,
    invoice_currency_code: 'USD',
    insurance_value: null,
    ship_option: 'Standard',
    tracking: shipped ? { carrier: p.carrier.carrier, carrier_service: p.carrier.service, tracking_number: p.tracking, tracking_url: `https://track.example.com/${encodeURIComponent(p.carrier.carrier)}/${p.tracking}`, shipping_date: isoZ(p.shippedAt as Ms), bol: null, pro_number: null, scac: null } : null,
    products: p.items.map((it) => ({
      id: productId(it.sku),
      reference_id: it.sku,
      sku: it.sku,
      name: it.name,
      inventory_items: [{ id: itemId(it.sku), name: it.name, quantity: it.qty, quantity_committed: it.qty, lot: null, expiration_date: null, is_dangerous_goods: false, serial_numbers: [] }],
    })),
    package_material_type: 'Box',
    measurements: { depth_in: 4, length_in: 12, width_in: 9, total_weight_oz: 10 + p.items.reduce((n, it) => n + it.qty * 6, 0) },
    is_tracking_uploaded: shipped,
    actual_fulfillment_date: shipped ? isoZ(p.shippedAt as Ms) : null,
    estimated_fulfillment_date: isoZ(o.createdAt + 24 * 60 * MIN),
    estimated_fulfillment_date_status: shipped ? 'FulfilledOnTime' : 'AwaitingInventoryAllocation',
    delivery_date: delivered ? isoZ(p.deliveredAt as Ms) : null,
    require_signature: false,
    gift_message: null,
  };
}

function orderBody(o: ShipOrder, asOf: Ms, at: Ms) {
  const parcels = o.parcels.map((p) => shipmentBody(o, p, Math.min(asOf, at), p.shippedAt !== null && p.shippedAt <= at ? at : o.createdAt + 5 * MIN));
  const done = parcels.every((p) => p.status === 'Completed');
  return {
    id: o.sbOrderId,
    reference_id: o.referenceId,
    order_number: o.orderNumber,
    status: done ? 'Fulfilled' : 'PartiallyFulfilled',
    type: 'DTC',
    channel: { id: 100871, name: 'tieout-demo (Shopify)' },
    created_date: isoZ(o.createdAt + 2 * MIN),
    purchase_date: isoZ(o.createdAt),
    recipient: { name: o.recipient.name, address: address(o), email: null, phone_number: null },
    products: o.products.map((p) => ({ id: productId(p.sku), reference_id: p.sku, sku: p.sku, quantity: p.qty, unit_price: p.unitPrice, external_line_id: null, gtin: null, upc: null })),
    shipments: parcels,
    shipping_method: 'Standard',
    financials: { total_price: Math.round(o.products.reduce((n, p) => n + p.qty * p.unitPrice, 0) * 100) / 100 },
    tags: [],
  };
}

/**
 * ShipBob's webhooks for one order: `order.shipped` (the whole Order) each time a parcel leaves,
 * the parcels still processing listed as such, and `order.shipment.delivered` (one Shipment) per
 * delivered parcel. Nothing after the cutoff is sent.
 */
export function shipbobDeliveries(rng: Rng, o: ShipOrder, asOf: Ms): Rendered[] {
  const out: Rendered[] = [];
  const send = (topic: string, at: Ms, body: unknown) => {
    const id = `msg_${rng.b62(27)}`;
    out.push({ system: 'shipbob', topic, at, deliveryId: id, group: o.group, body: JSON.stringify(body), headers: { 'content-type': 'application/json', 'webhook-id': id, 'x-webhook-topic': topic } });
  };
  for (const p of [...o.parcels].filter((x) => x.shippedAt !== null).sort((a, b) => (a.shippedAt as Ms) - (b.shippedAt as Ms))) {
    const at = (p.shippedAt as Ms) + rng.int(2, 9) * MIN;
    send('order.shipped', at, orderBody(o, asOf, at));
  }
  for (const p of o.parcels) if (p.deliveredAt !== null) send('order.shipment.delivered', p.deliveredAt, shipmentBody(o, p, asOf, p.deliveredAt));
  return out;
}

/** One warehouse ledger entry before its id is assigned (entries are numbered in booking order). */
export type LedgerEntry = { readonly at: Ms; readonly orderId: string; readonly type: 'sale' | 'refund'; readonly amount: number; readonly currency: string; readonly tag: string };

export const LEDGER_COLUMNS = ['entry_id', 'order_id', 'entry_type', 'amount', 'currency', 'booked_at'] as const;

/** The ledger id of the n-th entry (in booking order). */
export const entryId = (n: number): string => `JE-${String(240_101 + n).padStart(7, '0')}`;

/** The warehouse ledger as CSV files, one per booking day (UTC), entries numbered in booking order. */
export function ledgerFiles(entries: readonly LedgerEntry[]): { name: string; content: string }[] {
  const byDay = new Map<string, Record<string, string>[]>();
  entries.forEach((e, n) => {
    const day = isoZ(e.at).slice(0, 10);
    const rows = byDay.get(day) ?? [];
    rows.push({ entry_id: entryId(n), order_id: e.orderId, entry_type: e.type, amount: major(e.amount, e.currency), currency: e.currency, booked_at: isoZ(e.at) });
    byDay.set(day, rows);
  });
  return [...byDay].map(([day, rows]) => ({ name: `ledger_${day}.csv`, content: toCsv(LEDGER_COLUMNS, rows) }));
}
