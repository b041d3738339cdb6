// `tieout serve` end to end over real HTTP: signed webhooks in, the order API out, forged ones refused.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, freePort, startTieout } from './support/cli.ts';
import { SECRETS, shipbobDelivery, shipbobShipment, shopifyDelivery, shopifyOrder, stripeDelivery, stripePaymentIntent, type SignedDelivery } from './support/webhooks.ts';

const TOKEN = 'serve-e2e-token';
let dir: string;
let base: string;
let srv: ReturnType<typeof startTieout>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tieout-serve-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  srv = startTieout(['serve'], {
    cwd: dir,
    env: { PORT: String(port), TIEOUT_API_TOKEN: TOKEN, TIEOUT_SHOPIFY_SECRET: SECRETS.shopify, TIEOUT_STRIPE_SECRET: SECRETS.stripe, TIEOUT_SHIPBOB_SECRET: SECRETS.shipbob },
  });
  await eventually(async () => ((await fetch(`${base}/healthz`)).ok ? true : undefined), 20_000, 'serve to listen');
}, 30_000);

afterAll(async () => {
  srv.child.kill('SIGTERM');
  await srv.exited;
  rmSync(dir, { recursive: true, force: true });
});

const post = (system: string, d: SignedDelivery) => fetch(`${base}/webhooks/${system}`, { method: 'POST', headers: d.headers, body: d.body });

describe('tieout serve', () => {
  it('acknowledges signed webhooks and shows the order in GET /orders/:key once matched', async () => {
    expect((await post('shopify', shopifyDelivery('orders/create', shopifyOrder()))).status).toBe(200);
    expect((await post('stripe', stripeDelivery('payment_intent.succeeded', stripePaymentIntent()))).status).toBe(200);
    expect((await post('shipbob', shipbobDelivery('order.shipped', shipbobShipment()))).status).toBe(200);
    const view = await eventually(async () => {
      const res = await fetch(`${base}/orders/1001`, { headers: { authorization: `Bearer ${TOKEN}` } });
      const v = res.ok ? ((await res.json()) as { timeline: unknown[]; breaks: { code: string }[] }) : undefined;
      return v && v.timeline.length === 3 ? v : undefined;
    }, 20_000, 'order 1001 with three events');
    expect(view.breaks.map((b) => b.code)).toEqual(['not_booked']);
  }, 30_000);

  it('refuses a forged webhook with 401', async () => {
    const res = await post('stripe', stripeDelivery('payment_intent.succeeded', stripePaymentIntent(), { secret: 'whsec_forged' }));
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'signature check failed' });
  });
});
