// POST /pubsub/shopify: Shopify's Pub/Sub delivery, pushed by our subscription — the webhook path minus the HMAC, behind the push's OIDC token.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGoogleIdTokenVerifier } from '#shared/adapters/gcp/google-id-token.ts';
import { createSqliteArchive } from '#shared/adapters/sqlite/archive.ts';
import { createSqliteEventBus } from '#shared/adapters/sqlite/event-bus.ts';
import type { Archive } from '#shared/ports/archive.ts';
import { MATCHER_SUBSCRIPTION, type EventBus } from '#shared/ports/event-bus.ts';
import { silentLogger } from '#shared/log.ts';
import { pushEnvelope } from '#shared/pubsub-push.ts';
import { idTokenAuth } from '#shared/request-auth.ts';
import { DEFAULT_NORMALIZE_CONTEXT } from '#shared/sources/source.ts';
import { startTokenIssuer, type TokenIssuer } from '../../test/support/oidc.ts';
import { SECRETS, shopifyOrder, shopifyPubSubAttributes } from '../../test/support/webhooks.ts';
import { importText } from './files.ts';
import { createIngest } from './ingest.ts';
import { ingestApi } from './http.ts';

const AUDIENCE = 'https://tieout-ingest-123456789.us-central1.run.app';
const PUSHER = 'tieout-pubsub-push@acme-prod.iam.gserviceaccount.com';
const SUBSCRIPTION = 'projects/acme-prod/subscriptions/shopify-webhooks-ingest';
let issuer: TokenIssuer;
let dir: string;
let archive: Archive;
let bus: EventBus;
let app: Hono;

beforeAll(async () => {
  issuer = await startTokenIssuer({ audience: AUDIENCE, email: PUSHER });
});
afterAll(async () => {
  await issuer.stop();
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tieout-pubsub-'));
  bus = createSqliteEventBus({ path: join(dir, 'bus.sqlite'), subscriptions: [MATCHER_SUBSCRIPTION], maxAttempts: 10 });
  archive = createSqliteArchive({ path: join(dir, 'archive.sqlite') });
  const now = () => new Date().toISOString();
  const ingest = createIngest({ archive, bus, secrets: { shopify: [SECRETS.shopify] }, normalize: DEFAULT_NORMALIZE_CONTEXT, log: silentLogger(), now });
  const verifier = createGoogleIdTokenVerifier({ audiences: [AUDIENCE], serviceAccounts: [PUSHER], certsUrl: issuer.certsUrl });
  app = new Hono();
  ingestApi(
    {
      ingest,
      importFeed: (s, t, n) => importText({ archive, bus, normalize: DEFAULT_NORMALIZE_CONTEXT, now }, s, t, n),
      apiToken: 'token',
      maxBodyBytes: 64 * 1024,
      log: silentLogger(),
      pubsub: { auth: idTokenAuth(verifier, 'disabled') },
    },
    app,
  );
});
afterEach(async () => {
  await Promise.all([bus.close(), archive.close()]);
  rmSync(dir, { recursive: true, force: true });
});

let ids = 0;
const deliver = (body: string, attributes: Record<string, string>, token: string | null = issuer.sign(issuer.claims())) =>
  app.request('/pubsub/shopify', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token !== null ? { authorization: `Bearer ${token}` } : {}) },
    body: pushEnvelope({ data: body, attributes, messageId: String(++ids), subscription: SUBSCRIPTION }),
  });

describe('POST /pubsub/shopify', () => {
  it('given an unsigned Shopify delivery from Pub/Sub, then it is archived and published like a webhook, with the event and raw ids as attributes', async () => {
    const res = await deliver(JSON.stringify(shopifyOrder()), shopifyPubSubAttributes('orders/create', 'wh-pubsub-1'));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, accepted: 'shopify:wh-pubsub-1' });
    const raws = [];
    for await (const r of archive.scanRaw({})) raws.push(r);
    expect(raws).toMatchObject([{ id: 'shopify:wh-pubsub-1', system: 'shopify', topic: 'orders/create', headers: { 'x-shopify-topic': 'orders/create', 'x-shopify-webhook-id': 'wh-pubsub-1' } }]);
    const [message] = await bus.pull(MATCHER_SUBSCRIPTION, { max: 10, leaseMs: 30_000 });
    expect(message?.attributes).toMatchObject({ eventId: message?.id, rawId: 'shopify:wh-pubsub-1', system: 'shopify' });
    expect(JSON.parse(message?.data ?? '{}')).toMatchObject({ system: 'shopify', kind: 'order' });
  });

  it('given the same delivery twice (Pub/Sub is at-least-once), then the archive keeps it once', async () => {
    const attributes = shopifyPubSubAttributes('orders/create', 'wh-pubsub-dup');
    const body = JSON.stringify(shopifyOrder());
    expect((await deliver(body, attributes)).status).toBe(200);
    expect((await deliver(body, attributes)).status).toBe(200);
    expect(await archive.countEvents()).toBe(1);
  });

  it('given an authentic payload that cannot be read, then it is acknowledged and kept whole in quarantine', async () => {
    const bad = await deliver('{"id": "not an order"', shopifyPubSubAttributes('orders/create', 'wh-bad'));
    expect(bad.status).toBe(200);
    const noId = shopifyPubSubAttributes('orders/create');
    delete noId['X-Shopify-Webhook-Id'];
    const missing = await deliver(JSON.stringify(shopifyOrder()), noId);
    expect(missing.status).toBe(200);
    expect(await missing.json()).toMatchObject({ ok: true, quarantined: expect.stringMatching(/^shopify:sha256:/) });
    const quarantined = await archive.listQuarantine();
    expect(quarantined.map((q) => [q.id, q.error])).toEqual(
      expect.arrayContaining([
        ['shopify:wh-bad', expect.stringMatching(/^body is not JSON/)],
        [expect.stringMatching(/^shopify:sha256:/), expect.stringContaining('x-shopify-webhook-id')],
      ]),
    );
    expect(quarantined.find((q) => q.id === 'shopify:wh-bad')?.body).toBe('{"id": "not an order"');
    expect(await archive.countEvents()).toBe(0);
  });

  it('given no token or a bad one, then it refuses and stores nothing, and the HMAC route still wants its signature', async () => {
    const body = JSON.stringify(shopifyOrder());
    expect((await deliver(body, shopifyPubSubAttributes('orders/create'), null)).status).toBe(401);
    expect((await deliver(body, shopifyPubSubAttributes('orders/create'), issuer.sign(issuer.claims({ aud: 'https://elsewhere.run.app' })))).status).toBe(401);
    expect((await deliver(body, shopifyPubSubAttributes('orders/create'), issuer.sign(issuer.claims({ email: 'shopify-impostor@evil.example' })))).status).toBe(403);
    const unsigned = await app.request('/webhooks/shopify', { method: 'POST', headers: Object.fromEntries(Object.entries(shopifyPubSubAttributes('orders/create')).map(([k, v]) => [k.toLowerCase(), v])), body });
    expect(unsigned.status).toBe(401);
    expect(await archive.countEvents()).toBe(0);
    expect(await archive.listQuarantine()).toEqual([]);
  });

  it('given a body that is not a push envelope, then it answers 400', async () => {
    const res = await app.request('/pubsub/shopify', { method: 'POST', headers: { authorization: `Bearer ${issuer.sign(issuer.claims())}` }, body: '{"message": {}}' });
    expect(res.status).toBe(400);
  });
});
