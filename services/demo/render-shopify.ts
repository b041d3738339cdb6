// Renders a story as the Shopify webhooks the shop would send: order snapshots, transactions and refunds (REST 2024-04 shapes).
import { MIN, SEC, currencyInfo, major, usdCents, type Ms, type Rng, type Story } from './shop.ts';
import { isoMs, shopTime, uuid, type Rendered } from './wire.ts';

export const SHOP_DOMAIN = 'tieout-demo.myshopify.com';
const API_VERSION = '2024-04';

type Money = { amount: string; currency_code: string };
const bag = (amount: number, currency: string): Money => ({ amount: major(amount, currency), currency_code: currency });

/** A `*_set` twin: the amount in the shop currency (USD) and in the buyer's currency. */
function moneySet(s: Story, present: number, shop?: number): { shop_money: Money; presentment_money: Money } {
  const cur = s.pricing.currency;
  return { shop_money: bag(shop ?? usdCents(present, cur), 'USD'), presentment_money: bag(present, cur) };
}

const gid = (kind: string, id: number) => `gid://shopify/${kind}/${id}`;

/** What the storefront knew at an instant: its payment state, refunds, fulfilments and cancellation. */
type View = { at: Ms; financial: string; refunded: number; refunds: Story['refunds']; shipped: Story['shipments']; cancelled: boolean };

function viewAt(s: Story, at: Ms): View {
  const txns = s.shopTxns.filter((t) => t.at <= at);
  const refunds = s.refunds.filter((r) => r.shopifyAt !== null && r.shopifyAt <= at);
  const refunded = refunds.reduce((n, r) => n + r.amount, 0);
  const paid = txns.filter((t) => t.status === 'success' && (t.kind === 'sale' || t.kind === 'capture')).reduce((n, t) => n + t.amount, 0);
  const voided = txns.some((t) => t.kind === 'void' && t.status === 'success');
  const authorized = txns.some((t) => t.kind === 'authorization' && t.status === 'success');
  const financial = voided
    ? 'voided'
    : paid > 0
      ? refunded >= paid
        ? 'refunded'
        : refunded > 0
          ? 'partially_refunded'
          : paid < s.pricing.total
            ? 'partially_paid'
            : 'paid'
      : authorized
        ? 'authorized'
        : 'pending';
  const shipped = s.shipments.filter((p) => p.shippedAt !== null && p.shippedAt + 20 * MIN <= at);
  return { at, financial, refunded, refunds, shipped, cancelled: s.cancel !== null && s.cancel.at <= at };
}

function address(s: Story) {
  const c = s.customer;
  return { first_name: c.first, last_name: c.last, name: `${c.first} ${c.last}`, address1: `${100 + (s.orderId % 800)} Example Street`, address2: '', city: c.city, zip: String(10000 + (s.orderId % 89999)), province: null, country_code: c.country, phone: null, company: null };
}

function lineItems(s: Story, v: View) {
  const cur = currencyInfo(s.pricing.currency);
  return s.pricing.lines.map((l) => {
    const shipped = v.shipped.flatMap((p) => p.lines).filter((x) => s.pricing.lines[x.index] === l).reduce((n, x) => n + x.qty, 0);
    const taxPrice = cur.taxRate === 0 ? 0 : Math.round(l.unitPresent * l.qty * cur.taxRate);
    return {
      id: l.lineId,
      admin_graphql_api_id: gid('LineItem', l.lineId),
      fulfillable_quantity: Math.max(0, l.qty - shipped),
      fulfillment_service: 'manual',
      fulfillment_status: shipped >= l.qty ? 'fulfilled' : shipped > 0 ? 'partial' : null,
      gift_card: l.product.giftCard === true,
      grams: l.product.grams,
      name: `${l.product.title} - ${l.product.variant}`,
      price: major(l.unitShop, 'USD'),
      price_set: moneySet(s, l.unitPresent, l.unitShop),
      product_exists: true,
      product_id: l.product.productId,
      properties: [],
      quantity: l.qty,
      requires_shipping: l.product.giftCard !== true,
      sku: l.product.sku,
      taxable: l.product.giftCard !== true,
      title: l.product.title,
      total_discount: '0.00',
      variant_id: l.product.variantId,
      variant_inventory_management: 'shopify',
      variant_title: l.product.variant,
      vendor: 'Tieout Demo Goods',
      tax_lines: taxPrice > 0 ? [{ title: cur.taxIncluded ? 'VAT' : 'State Tax', rate: cur.taxRate, price: major(taxPrice, cur.code), price_set: moneySet(s, taxPrice) }] : [],
      discount_allocations: [],
      duties: [],
    };
  });
}

function refundBody(s: Story, r: Story['refunds'][number]) {
  const at = r.shopifyAt as Ms;
  const parent = s.shopTxns.find((t) => t.status === 'success' && (t.kind === 'sale' || t.kind === 'capture'));
  return {
    id: r.id,
    admin_graphql_api_id: gid('Refund', r.id),
    order_id: s.orderId,
    created_at: shopTime(at),
    processed_at: shopTime(at),
    note: r.note,
    user_id: 548380009,
    restock: r.restock === 'cancel',
    duties: [],
    additional_fees: [],
    total_duties_set: moneySet(s, 0),
    return: null,
    refund_line_items: r.lines.map((x, i) => {
      const l = s.pricing.lines[x.index];
      return {
        id: r.id + 17 + i,
        line_item_id: l?.lineId,
        quantity: x.qty,
        restock_type: r.restock,
        location_id: 655441491,
        subtotal: Number(major((l?.unitPresent ?? 0) * x.qty, s.pricing.currency)),
        subtotal_set: moneySet(s, (l?.unitPresent ?? 0) * x.qty),
        line_item: { id: l?.lineId, sku: l?.product.sku, title: l?.product.title, quantity: l?.qty, requires_shipping: true, gift_card: false, price: major(l?.unitShop ?? 0, 'USD') },
      };
    }),
    transactions: [refundTxn(s, r, parent?.id ?? null)],
    order_adjustments: [],
  };
}

function refundTxn(s: Story, r: Story['refunds'][number], parentId: number | null) {
  const at = r.shopifyAt as Ms;
  return {
    id: r.shopTxnId,
    admin_graphql_api_id: gid('OrderTransaction', r.shopTxnId),
    order_id: s.orderId,
    kind: 'refund',
    gateway: 'stripe',
    status: 'success',
    message: 'Transaction approved',
    created_at: shopTime(at),
    processed_at: shopTime(at),
    test: s.test,
    authorization: r.stripeAt !== null && s.link !== 'metadata' ? r.re : null,
    parent_id: parentId,
    source_name: 'web',
    receipt: r.stripeAt !== null && s.link !== 'metadata' ? { id: r.re, object: 'refund', status: 'succeeded' } : {},
    amount: major(r.amount, s.pricing.currency),
    currency: s.pricing.currency,
    payment_id: `#${s.number}.${r.shopTxnId % 7}`,
    manual_payment_gateway: false,
  };
}

/** The order as one snapshot: the full REST Order resource as of `v.at`. */
function orderBody(s: Story, v: View) {
  const p = s.pricing;
  const cur = currencyInfo(p.currency);
  const created = shopTime(s.createdAt);
  const token = (s.orderId * 7919).toString(16).padStart(32, 'a').slice(-32);
  const subtotal = p.subtotal - p.discount;
  return {
    id: s.orderId,
    admin_graphql_api_id: gid('Order', s.orderId),
    app_id: 580111,
    browser_ip: `203.0.113.${s.orderId % 250}`,
    buyer_accepts_marketing: s.orderId % 3 === 0,
    cancel_reason: v.cancelled ? s.cancel?.reason : null,
    cancelled_at: v.cancelled && s.cancel ? shopTime(s.cancel.at) : null,
    cart_token: token.slice(0, 24),
    checkout_id: s.orderId + 40_000_000,
    checkout_token: token,
    closed_at: null,
    confirmation_number: token.slice(0, 9).toUpperCase(),
    confirmed: true,
    contact_email: `${s.customer.first.toLowerCase()}.${s.customer.last.toLowerCase()}@example.com`,
    created_at: created,
    currency: 'USD',
    current_subtotal_price: major(usdCents(subtotal, p.currency), 'USD'),
    current_subtotal_price_set: moneySet(s, subtotal),
    current_total_discounts: major(usdCents(p.discount, p.currency), 'USD'),
    current_total_price: major(usdCents(p.total - v.refunded, p.currency), 'USD'),
    current_total_price_set: moneySet(s, p.total - v.refunded),
    current_total_tax: major(usdCents(p.tax, p.currency), 'USD'),
    current_total_tax_set: moneySet(s, p.tax),
    customer_locale: cur.code === 'USD' ? 'en-US' : cur.code === 'JPY' ? 'ja' : cur.code === 'EUR' ? 'de' : 'en',
    discount_codes: p.discountCode ? [{ code: p.discountCode, amount: major(p.discount, p.currency), type: 'percentage' }] : [],
    email: `${s.customer.first.toLowerCase()}.${s.customer.last.toLowerCase()}@example.com`,
    estimated_taxes: false,
    financial_status: v.financial,
    fulfillment_status: v.shipped.length === 0 ? null : v.shipped.length === s.shipments.length ? 'fulfilled' : 'partial',
    landing_site: '/',
    name: `#${s.number}`,
    note: null,
    number: s.number - 1000,
    order_number: s.number,
    order_status_url: `https://${SHOP_DOMAIN}/60815016123/orders/${token}/authenticate?key=${token.slice(0, 16)}`,
    payment_gateway_names: ['stripe'],
    presentment_currency: p.currency,
    processed_at: created,
    source_name: 'web',
    subtotal_price: major(usdCents(subtotal, p.currency), 'USD'),
    subtotal_price_set: moneySet(s, subtotal),
    tags: '',
    tax_lines: p.tax > 0 ? [{ title: cur.taxIncluded ? 'VAT' : 'State Tax', rate: cur.taxRate, price: major(usdCents(p.tax, p.currency), 'USD'), price_set: moneySet(s, p.tax) }] : [],
    taxes_included: cur.taxIncluded,
    test: s.test,
    token,
    total_discounts: major(usdCents(p.discount, p.currency), 'USD'),
    total_discounts_set: moneySet(s, p.discount),
    total_line_items_price: major(usdCents(p.subtotal, p.currency), 'USD'),
    total_line_items_price_set: moneySet(s, p.subtotal),
    total_outstanding: v.financial === 'authorized' || v.financial === 'pending' || v.financial === 'partially_paid' ? major(usdCents(p.total, p.currency), 'USD') : '0.00',
    total_price: major(p.totalShop, 'USD'),
    total_price_set: moneySet(s, p.total, p.totalShop),
    total_shipping_price_set: moneySet(s, p.shipping),
    total_tax: major(usdCents(p.tax, p.currency), 'USD'),
    total_tax_set: moneySet(s, p.tax),
    total_tip_received: '0.00',
    total_weight: p.lines.reduce((n, l) => n + l.qty * l.product.grams, 0),
    updated_at: shopTime(v.at),
    user_id: null,
    billing_address: address(s),
    shipping_address: address(s),
    customer: { id: 7_400_000_000_000 + (s.orderId % 1_000_000), first_name: s.customer.first, last_name: s.customer.last, state: 'enabled', currency: 'USD', verified_email: true, tags: '' },
    line_items: lineItems(s, v),
    shipping_lines: [{ id: s.orderId + 3, code: p.shipping === 0 ? 'Free Shipping' : 'Standard', title: p.shipping === 0 ? 'Free Shipping' : 'Standard Shipping', source: 'shopify', price: major(usdCents(p.shipping, p.currency), 'USD'), price_set: moneySet(s, p.shipping), discounted_price: major(usdCents(p.shipping, p.currency), 'USD'), tax_lines: [] }],
    fulfillments: v.shipped.map((sh, i) => ({
      id: 4_900_000_000_000 + sh.id,
      admin_graphql_api_id: gid('Fulfillment', 4_900_000_000_000 + sh.id),
      created_at: shopTime((sh.shippedAt as Ms) + 20 * MIN),
      name: `#${s.number}.${i + 1}`,
      order_id: s.orderId,
      service: 'shipbob',
      shipment_status: null,
      status: 'success',
      tracking_company: sh.carrier.carrier,
      tracking_number: sh.tracking,
      tracking_numbers: [sh.tracking],
      updated_at: shopTime((sh.shippedAt as Ms) + 20 * MIN),
      line_items: sh.lines.map((x) => ({ id: s.pricing.lines[x.index]?.lineId, sku: s.pricing.lines[x.index]?.product.sku, quantity: x.qty })),
    })),
    refunds: v.refunds.map((r) => refundBody(s, r)),
  };
}

function txnBody(s: Story, t: Story['shopTxns'][number]) {
  const p = s.payments[0];
  const receipt = t.ch !== null && s.link === 'both' ? { id: t.ch, object: 'charge', payment_intent: t.pi, status: t.status === 'pending' ? 'pending' : 'succeeded' } : {};
  return {
    id: t.id,
    admin_graphql_api_id: gid('OrderTransaction', t.id),
    order_id: s.orderId,
    kind: t.kind,
    gateway: 'stripe',
    status: t.status,
    message: t.status === 'pending' ? 'Payment is processing' : 'Transaction approved',
    created_at: shopTime(t.at),
    processed_at: shopTime(t.at),
    test: s.test,
    // Transaction-linked orders carry the PaymentIntent; metadata-linked ones only the card network's approval code.
    authorization: t.pi ?? String(100000 + (t.id % 900000)),
    parent_id: t.parentId,
    source_name: 'web',
    device_id: null,
    error_code: null,
    location_id: null,
    user_id: null,
    receipt,
    amount: major(t.amount, t.currency),
    currency: t.currency,
    payment_id: `#${s.number}.${(t.id % 5) + 1}`,
    payment_details: p ? { credit_card_number: `•••• •••• •••• ${p.card.last4}`, credit_card_company: p.card.brand === 'amex' ? 'American Express' : p.card.brand === 'visa' ? 'Visa' : 'Mastercard', credit_card_bin: null, avs_result_code: null, cvv_result_code: null } : null,
    currency_exchange_adjustment: null,
    manual_payment_gateway: false,
  };
}

function delivery(rng: Rng, s: Story, topic: string, at: Ms, body: unknown, eventId: string): Rendered {
  const deliveryId = uuid(rng);
  return {
    system: 'shopify',
    topic,
    at,
    deliveryId,
    group: `order:${s.number}`,
    body: JSON.stringify(body),
    headers: {
      'content-type': 'application/json',
      'x-shopify-topic': topic,
      'x-shopify-shop-domain': SHOP_DOMAIN,
      'x-shopify-api-version': API_VERSION,
      'x-shopify-webhook-id': deliveryId,
      'x-shopify-event-id': eventId,
      'x-shopify-triggered-at': isoMs(at),
    },
  };
}

/** Every Shopify webhook of one order: order snapshots at each change, its transactions and its refunds. */
export function shopifyDeliveries(rng: Rng, s: Story): Rendered[] {
  const out: Rendered[] = [];
  // Apps (risk analysis, tagging) touch every new order within minutes: its first orders/updated.
  const instants = new Set<Ms>([s.createdAt, s.createdAt + rng.int(40, 240) * SEC]);
  for (const t of s.shopTxns) if (t.at > s.createdAt) instants.add(t.at + SEC);
  for (const p of s.shipments) if (p.shippedAt !== null) instants.add(p.shippedAt + 20 * MIN);
  for (const r of s.refunds) if (r.shopifyAt !== null) instants.add(r.shopifyAt + SEC);
  if (s.cancel) instants.add(s.cancel.at);
  let previous: string | null = null;
  for (const at of [...instants].sort((a, b) => a - b)) {
    const v = viewAt(s, at);
    const body = orderBody(s, v);
    const eventId = uuid(rng);
    const topics = at === s.createdAt ? ['orders/create'] : s.cancel?.at === at ? ['orders/cancelled', 'orders/updated'] : ['orders/updated'];
    if (v.financial === 'paid' && previous !== 'paid') topics.push('orders/paid');
    previous = v.financial;
    for (const topic of topics) out.push(delivery(rng, s, topic, at, body, eventId));
  }
  for (const t of s.shopTxns) out.push(delivery(rng, s, 'order_transactions/create', t.at, txnBody(s, t), uuid(rng)));
  const parent = s.shopTxns.find((t) => t.status === 'success' && (t.kind === 'sale' || t.kind === 'capture'));
  for (const r of s.refunds) {
    if (r.shopifyAt === null) continue;
    const eventId = uuid(rng);
    out.push(delivery(rng, s, 'refunds/create', r.shopifyAt, refundBody(s, r), eventId));
    out.push(delivery(rng, s, 'order_transactions/create', r.shopifyAt, refundTxn(s, r, parent?.id ?? null), eventId));
  }
  return out;
}

