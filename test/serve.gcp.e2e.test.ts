// `tieout serve` with backend gcp end to end: Pub/Sub and Firestore emulators, the BigQuery fake, signed webhooks in, the order API out, OIDC on the routes Google calls.
//
// The emulators are gcloud's, started on free ports (skipped, with the reason, where gcloud is absent);
// BigQuery is test/support/bigquery-fake.ts (no BigQuery emulator exists). Google's token issuer is a
// local key pair whose public key the services fetch from TIEOUT_OIDC_CERTS_URL.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBigQueryArchive } from '#shared/adapters/gcp/bigquery-archive.ts';
import type { CanonicalEvent } from '#shared/domain/events.ts';
import { pushEnvelope } from '#shared/pubsub-push.ts';
import { canonicalEntry, orderingKeyOf, toMessage } from '../services/ingest/publish.ts';
import { startBigQueryFake } from './support/bigquery-fake.ts';
import { eventually, freePort, startTieout } from './support/cli.ts';
import { startEmulator } from './support/gcloud-emulator.ts';
import { startTokenIssuer, type TokenIssuer } from './support/oidc.ts';
import { tiedOrder } from './support/scenarios.ts';
import { SECRETS, shopifyDelivery, shopifyOrder, shopifyPubSubAttributes, stripeDelivery, stripePaymentIntent, type SignedDelivery } from './support/webhooks.ts';

// Started while the file is collected: whether gcloud is here decides which tests exist, and the reason
// belongs in the skipped test's title. Stopped in afterAll (and by the helper if this worker dies).
const [pubsub, firestore] = await Promise.all([startEmulator('pubsub'), startEmulator('firestore')]);
const skipped = 'skipped' in pubsub ? pubsub.skipped : 'skipped' in firestore ? firestore.skipped : undefined;
const bigquery = skipped === undefined ? await startBigQueryFake() : undefined;
afterAll(async () => {
  await Promise.all([pubsub, firestore].map((e) => ('stop' in e ? e.stop() : undefined)));
  await bigquery?.stop();
});

const TOKEN = 'serve-gcp-e2e-token';
const SCHEDULER = 'tieout-scheduler@tieout-e2e.iam.gserviceaccount.com';
const PUSHER = 'tieout-pubsub-push@tieout-e2e.iam.gserviceaccount.com';
const TOPIC = `events-${process.pid}-${Date.now().toString(36)}`;

type Serve = { base: string; srv: ReturnType<typeof startTieout> };
let dir: string;
let issuer: TokenIssuer;
/** All services in one process, the matcher pulling (as on one machine, but on Google Cloud's services). */
let all: Serve;
/** The matcher alone, fed by Pub/Sub push (as on Cloud Run with matcher_delivery = "push"). */
let pushed: Serve;

async function startServe(env: Record<string, string>): Promise<Serve> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const srv = startTieout(['serve'], {
    cwd: dir,
    env: {
      PORT: String(port),
      // The service's own URL is the audience Google puts in the tokens it mints for it.
      TIEOUT_OIDC_AUDIENCE: base,
      TIEOUT_OIDC_SERVICE_ACCOUNT: `${SCHEDULER},${PUSHER}`,
      TIEOUT_OIDC_CERTS_URL: issuer.certsUrl,
      TIEOUT_API_TOKEN: TOKEN,
      TIEOUT_SHOPIFY_SECRET: SECRETS.shopify,
      TIEOUT_STRIPE_SECRET: SECRETS.stripe,
      TIEOUT_SHIPBOB_SECRET: SECRETS.shipbob,
      PUBSUB_EMULATOR_HOST: 'host' in pubsub ? pubsub.host : '',
      FIRESTORE_EMULATOR_HOST: 'host' in firestore ? firestore.host : '',
      TIEOUT_BIGQUERY_ENDPOINT: bigquery?.apiEndpoint ?? '',
      GOOGLE_CLOUD_PROJECT: bigquery?.projectId ?? '',
      // Off Google Cloud there is no metadata server; the client libraries must not probe for one.
      METADATA_SERVER_DETECTION: 'none',
      TIEOUT_SERVICE: '',
      TIEOUT_MATCHER_DELIVERY: '',
      ...env,
    },
  });
  await eventually(async () => ((await fetch(`${base}/healthz`)).ok ? true : undefined), 30_000, `serve to listen (output so far: ${srv.output()})`).catch((e: unknown) => {
    throw new Error(`${(e as Error).message}\n${srv.output()}`);
  });
  return { base, srv };
}

async function stopServe(s: Serve | undefined): Promise<void> {
  if (!s) return;
  s.srv.child.kill('SIGTERM');
  await s.srv.exited;
}

if (skipped !== undefined) {
  describe('tieout serve with backend gcp (emulators)', () => {
    it.skip(`every case — ${skipped}`, () => {});
  });
} else {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tieout-serve-gcp-'));
    mkdirSync(join(dir, 'data'));
    writeFileSync(
      join(dir, 'tieout.config.yaml'),
      [
        'backend: gcp',
        'dataDir: data',
        'gcp:',
        `  projectId: ${bigquery?.projectId}`,
        '  region: local',
        `  topic: ${TOPIC}`,
        `  subscription: ${TOPIC}-matcher`,
        '  database: tieout',
        `  dataset: ${bigquery?.dataset}`,
        '',
      ].join('\n'),
    );
    issuer = await startTokenIssuer({ audience: 'set per token', email: SCHEDULER });
    [all, pushed] = await Promise.all([startServe({}), startServe({ TIEOUT_SERVICE: 'matcher', TIEOUT_MATCHER_DELIVERY: 'push' })]);
  }, 90_000);

  afterAll(async () => {
    await Promise.all([stopServe(all), stopServe(pushed)]);
    await issuer?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const post = (system: string, d: SignedDelivery) => fetch(`${all.base}/webhooks/${system}`, { method: 'POST', headers: d.headers, body: d.body });
  const idToken = (s: Serve, email: string, overrides: Record<string, unknown> = {}) => issuer.sign(issuer.claims({ aud: s.base, email, ...overrides }));
  type View = { timeline: { system: string }[]; breaks: { code: string }[] };
  const orderView = async (s: Serve, key: string): Promise<View | undefined> => {
    const res = await fetch(`${s.base}/orders/${key}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    return res.ok ? ((await res.json()) as View) : undefined;
  };

  describe('tieout serve with backend gcp (Pub/Sub and Firestore emulators, BigQuery fake)', () => {
    it('ingests signed Shopify and Stripe webhooks and answers GET /orders/:key with both sources', async () => {
      expect((await post('shopify', shopifyDelivery('orders/create', shopifyOrder()))).status).toBe(200);
      expect((await post('stripe', stripeDelivery('payment_intent.succeeded', stripePaymentIntent()))).status).toBe(200);
      const view = await eventually(async () => {
        const v = await orderView(all, '1001');
        const systems = new Set(v?.timeline.map((t) => t.system));
        return systems.has('shopify') && systems.has('stripe') ? v : undefined;
      }, 45_000, `order 1001 with its Shopify and Stripe events (serve output: ${all.srv.output().slice(-2_000)})`);
      expect(view.timeline.map((t) => t.system).sort()).toEqual(['shopify', 'stripe']);
      expect(view.breaks.map((b) => b.code)).not.toContain('payment_missing');
    }, 60_000);

    it('refuses a forged webhook with 401', async () => {
      const res = await post('stripe', stripeDelivery('payment_intent.succeeded', stripePaymentIntent(), { secret: 'whsec_forged' }));
      expect(res.status).toBe(401);
    });

    it("takes Shopify's Pub/Sub delivery on POST /pubsub/shopify with the push subscription's OIDC token, and the order shows up", async () => {
      const order = shopifyOrder({ id: 450789470, order_number: 1002, name: '#1002', number: 2 });
      const body = pushEnvelope({ data: JSON.stringify(order), attributes: shopifyPubSubAttributes('orders/create'), messageId: '1', subscription: 'projects/tieout-e2e/subscriptions/shopify-ingest' });
      const refused = await fetch(`${all.base}/pubsub/shopify`, { method: 'POST', body });
      expect(refused.status).toBe(401);
      const res = await fetch(`${all.base}/pubsub/shopify`, { method: 'POST', headers: { authorization: `Bearer ${idToken(all, PUSHER)}` }, body });
      expect(res.status).toBe(200);
      const view = await eventually(async () => orderView(all, '1002'), 45_000, 'order 1002');
      expect(view.timeline.map((t) => t.system)).toEqual(['shopify']);
    }, 60_000);

    it("POST /run takes Cloud Scheduler's OIDC token, not the API token, and runs the night", async () => {
      expect((await fetch(`${all.base}/run`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(401);
      expect((await fetch(`${all.base}/run`, { method: 'POST', headers: { authorization: `Bearer ${idToken(all, SCHEDULER, { aud: 'https://elsewhere.run.app' })}` } })).status).toBe(401);
      const res = await fetch(`${all.base}/run`, { method: 'POST', headers: { authorization: `Bearer ${idToken(all, SCHEDULER)}`, 'content-type': 'application/json' }, body: '{"force": false}' });
      const answer = (await res.json()) as { status: string };
      expect({ status: res.status, answer }).toMatchObject({ status: 200, answer: { status: 'posted' } });
    }, 60_000);

    describe('the matcher alone, fed by Pub/Sub push (TIEOUT_SERVICE=matcher, TIEOUT_MATCHER_DELIVERY=push)', () => {
      const events = tiedOrder('3001');
      const envelope = (event: CanonicalEvent, data?: string) => {
        const m = toMessage(event, event.id);
        return pushEnvelope({ data: data ?? m.data, attributes: m.attributes, messageId: event.id, subscription: `projects/x/subscriptions/${TOPIC}-matcher`, orderingKey: orderingKeyOf(event), deliveryAttempt: 1 });
      };
      const push = (body: string, token: string | null = idToken(pushed, PUSHER)) =>
        fetch(`${pushed.base}/pubsub/push`, { method: 'POST', headers: token === null ? {} : { authorization: `Bearer ${token}` }, body });

      it('serves only its routes and does not pull', async () => {
        expect((await fetch(`${pushed.base}/webhooks/stripe`, { method: 'POST', body: '{}' })).status).toBe(404);
        expect((await fetch(`${pushed.base}/run`, { method: 'POST' })).status).toBe(404);
        expect(pushed.srv.output()).toContain('running matcher (fed by Pub/Sub push)');
      });

      it('commits each pushed event to Firestore before answering 200, so the order API shows it at once', async () => {
        // Ingest archived them before publishing (the order API's timeline reads the archive).
        const archive = createBigQueryArchive({ projectId: bigquery?.projectId as string, dataset: bigquery?.dataset as string, apiEndpoint: bigquery?.apiEndpoint as string });
        await archive.append(events.map(canonicalEntry));
        await archive.close();
        for (const event of events) expect((await push(envelope(event))).status).toBe(200);
        const view = await orderView(pushed, '3001');
        expect(view?.timeline).toHaveLength(events.length);
        expect(view?.breaks).toEqual([]);
      }, 30_000);

      it('refuses a push without a token or with the wrong caller (401/403), and a poison message with 422 for the dead-letter policy', async () => {
        const other = tiedOrder('3002')[0] as CanonicalEvent;
        expect((await push(envelope(other), null)).status).toBe(401);
        expect((await push(envelope(other), idToken(pushed, 'intruder@tieout-e2e.iam.gserviceaccount.com'))).status).toBe(403);
        expect((await push(envelope(other, '{"not": "an event"}'))).status).toBe(422);
        expect(await orderView(pushed, '3002')).toBeUndefined();
      });
    });
  });
}
