// Signed webhook deliveries built from the published fixtures, as each sender signs them.
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Stripe from 'stripe';

const FIXTURES = fileURLToPath(new URL('../fixtures/real/', import.meta.url));
export const fixture = (path: string): Record<string, any> => JSON.parse(readFileSync(`${FIXTURES}${path}`, 'utf8'));

export const SECRETS = { shopify: 'shpss_test_secret', stripe: 'whsec_test_secret', shipbob: `whsec_${Buffer.from('shipbob-test-key-32-bytes-long!!').toString('base64')}` };

export type SignedDelivery = { headers: Record<string, string>; body: string };

/** A Shopify delivery: base64 HMAC-SHA256 of the exact body. */
export function shopifyDelivery(topic: string, payload: object, secret = SECRETS.shopify, webhookId: string = randomUUID()): SignedDelivery {
  const body = JSON.stringify(payload);
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-shopify-topic': topic,
      'x-shopify-hmac-sha256': createHmac('sha256', secret).update(body, 'utf8').digest('base64'),
      'x-shopify-webhook-id': webhookId,
      'x-shopify-shop-domain': 'tieout-test.myshopify.com',
      'x-shopify-api-version': '2024-04',
      'x-shopify-triggered-at': new Date().toISOString(),
    },
  };
}

/**
 * The message attributes of a Shopify delivery to a Pub/Sub topic (FORMATS §1.1): the same body as a
 * webhook, unsigned, with Shopify's headers as attributes under their usual names.
 */
export function shopifyPubSubAttributes(topic: string, webhookId: string = randomUUID()): Record<string, string> {
  return {
    'X-Shopify-Topic': topic,
    'X-Shopify-Webhook-Id': webhookId,
    'X-Shopify-Shop-Domain': 'tieout-test.myshopify.com',
    'X-Shopify-API-Version': '2024-04',
    'X-Shopify-Triggered-At': new Date().toISOString(),
    'X-Shopify-Event-Id': randomUUID(),
  };
}

const stripe = new Stripe('sk_test_not_a_key');

/** A Stripe delivery signed by the official package's test header generator. */
export function stripeDelivery(type: string, object: object, options: { secret?: string; timestamp?: number; eventId?: string; created?: number } = {}): SignedDelivery {
  const created = options.created ?? Math.floor(Date.now() / 1000);
  const body = JSON.stringify({ id: options.eventId ?? `evt_${randomUUID().replace(/-/g, '')}`, object: 'event', api_version: '2024-06-20', created, livemode: false, pending_webhooks: 1, type, data: { object } });
  const header = stripe.webhooks.generateTestHeaderString({ payload: body, secret: options.secret ?? SECRETS.stripe, ...(options.timestamp !== undefined ? { timestamp: options.timestamp } : {}) });
  return { body, headers: { 'content-type': 'application/json', 'stripe-signature': header } };
}

/** A ShipBob delivery signed the Standard Webhooks way. */
export function shipbobDelivery(topic: string, payload: object, options: { secret?: string; timestamp?: number; id?: string } = {}): SignedDelivery {
  const body = JSON.stringify(payload);
  const id = options.id ?? `msg_${randomUUID()}`;
  const ts = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const key = Buffer.from((options.secret ?? SECRETS.shipbob).replace(/^whsec_/, ''), 'base64');
  const sig = createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64');
  return { body, headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': `v1,${sig}`, 'x-webhook-topic': topic } };
}

/** Shopify's demo order #1001 (id 450789469), paid through Stripe this time. */
export function shopifyOrder(overrides: Record<string, unknown> = {}): Record<string, any> {
  const o = fixture('shopify/rest_2024-04_order_450789469.json');
  return { ...o, payment_gateway_names: ['stripe'], financial_status: 'paid', refunds: [], ...overrides };
}

/** Stripe's PaymentIntent fixture, succeeded for order #1001's total with the order in its metadata. */
export function stripePaymentIntent(overrides: Record<string, unknown> = {}): Record<string, any> {
  const pi = fixture('stripe/openapi_fixture_payment_intent.json');
  return { ...pi, amount: 59894, amount_received: 59894, status: 'succeeded', metadata: { order_number: '1001' }, livemode: true, ...overrides };
}

/** ShipBob's shipment fixture, shipped for order #1001 (reference_id = the Shopify id). */
export function shipbobShipment(overrides: Record<string, unknown> = {}): Record<string, any> {
  const s = fixture('shipbob/openapi_2026-01_example_get_shipment.json');
  const template = s.products[0];
  // The shipped products of order #1001: one of each iPod, quantities in inventory_items.
  const products = ['IPOD2008GREEN', 'IPOD2008RED', 'IPOD2008BLACK'].map((sku, i) => ({
    ...template,
    id: i + 1,
    sku,
    inventory_items: [{ ...template.inventory_items[0], id: i + 1, quantity: 1 }],
  }));
  return { ...s, id: 9001, reference_id: '450789469', status: 'Completed', products, ...overrides };
}
