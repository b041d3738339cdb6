// POST /pubsub/push: a pushed envelope in, the event committed to order state, then 2xx — and every other answer Pub/Sub acts on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGoogleIdTokenVerifier } from '#shared/adapters/gcp/google-id-token.ts';
import { createMemoryOrderStateStore } from '#shared/adapters/memory/order-state-store.ts';
import { DEFAULT_CHECK_CONFIG } from '#shared/domain/checks.ts';
import type { CanonicalEvent } from '#shared/domain/events.ts';
import { silentLogger } from '#shared/log.ts';
import type { OrderStateStore } from '#shared/ports/order-state-store.ts';
import { pushEnvelope } from '#shared/pubsub-push.ts';
import { idTokenAuth } from '#shared/request-auth.ts';
import { tiedOrder } from '../../test/support/scenarios.ts';
import { startTokenIssuer, type TokenIssuer } from '../../test/support/oidc.ts';
import { orderingKeyOf, toMessage } from '../ingest/publish.ts';
import { createPushMatcher, pushApi } from './push.ts';

const AUDIENCE = 'https://tieout-matcher-123456789.us-central1.run.app';
const PUSHER = 'tieout-pubsub-push@acme-prod.iam.gserviceaccount.com';
const SUBSCRIPTION = 'projects/acme-prod/subscriptions/events-matcher';
const NOW = '2026-11-26T07:00:00.000Z';
let issuer: TokenIssuer;

beforeAll(async () => {
  issuer = await startTokenIssuer({ audience: AUDIENCE, email: PUSHER });
});
afterAll(async () => {
  await issuer.stop();
});

function setup(store: OrderStateStore = createMemoryOrderStateStore()) {
  const verifier = createGoogleIdTokenVerifier({ audiences: [AUDIENCE], serviceAccounts: [PUSHER], certsUrl: issuer.certsUrl });
  const matcher = createPushMatcher({ store, checkConfig: DEFAULT_CHECK_CONFIG, log: silentLogger(), now: () => NOW });
  const app = pushApi({ matcher, auth: idTokenAuth(verifier, 'disabled'), maxBodyBytes: 1024 * 1024 });
  return { store, matcher, app };
}

let messageIds = 0;
/** The envelope Pub/Sub pushes for a message the bus published for `event`. */
function envelopeOf(event: CanonicalEvent, overrides: { data?: string; attributes?: Record<string, string>; deliveryAttempt?: number } = {}): string {
  const m = toMessage(event, event.id);
  return pushEnvelope({
    data: overrides.data ?? m.data,
    attributes: overrides.attributes ?? m.attributes,
    messageId: String(++messageIds),
    subscription: SUBSCRIPTION,
    orderingKey: orderingKeyOf(event),
    deliveryAttempt: overrides.deliveryAttempt ?? 1,
  });
}

/** POSTs `body` with a good token, another `token`, or none (`null`). */
const push = (app: ReturnType<typeof setup>['app'], body: string, token: string | null = issuer.sign(issuer.claims())) =>
  app.request('/pubsub/push', { method: 'POST', headers: { 'content-type': 'application/json', ...(token !== null ? { authorization: `Bearer ${token}` } : {}) }, body });

describe('POST /pubsub/push', () => {
  it('given a pushed event, when it is committed, then it answers 200 and the order state holds it', async () => {
    const { app, store } = setup();
    const [first] = tiedOrder('80213');
    const res = await push(app, envelopeOf(first as CanonicalEvent));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, committed: (first as CanonicalEvent).id });
    expect((await store.get('80213'))?.state.eventIds).toEqual([(first as CanonicalEvent).id]);
  });

  it('given every event of an order pushed at once, then one transaction commits them all, and a redelivery changes nothing', async () => {
    const { app, store, matcher } = setup();
    const events = tiedOrder('80214');
    const answers = await Promise.all(events.map((e) => push(app, envelopeOf(e))));
    expect(answers.map((r) => r.status)).toEqual(events.map(() => 200));
    expect(matcher.stats.transactions).toBeLessThan(events.length);
    const once = await store.get('80214');
    expect(once?.state.eventIds).toHaveLength(events.length);
    expect(once?.open).toBe(false);

    expect((await push(app, envelopeOf(events[0] as CanonicalEvent, { deliveryAttempt: 2 }))).status).toBe(200);
    expect((await store.get('80214'))?.state).toEqual(once?.state);
  });

  it.each([
    ['no token', 401, 'none'],
    ['a token for another audience', 401, 'aud'],
    ['a forged signature', 401, 'forged'],
    ['a token of another service account', 403, 'email'],
  ] as const)('given %s, then it answers %i and commits nothing', async (_name, status, kind) => {
    const { app, store } = setup();
    const token =
      kind === 'none'
        ? null
        : kind === 'aud'
          ? issuer.sign(issuer.claims({ aud: 'https://tieout-nightly-report-123456789.us-central1.run.app' }))
          : kind === 'forged'
            ? issuer.sign(issuer.claims(), { key: issuer.otherKey })
            : issuer.sign(issuer.claims({ email: 'intruder@acme-prod.iam.gserviceaccount.com' }));
    const res = await push(app, envelopeOf(tiedOrder('80215')[0] as CanonicalEvent), token);
    expect(res.status).toBe(status);
    expect(await store.count()).toBe(0);
  });

  it('is disabled (503), never open, when no OIDC audience is configured', async () => {
    const matcher = createPushMatcher({ store: createMemoryOrderStateStore(), checkConfig: DEFAULT_CHECK_CONFIG, log: silentLogger(), now: () => NOW });
    const app = pushApi({ matcher, auth: idTokenAuth(undefined, 'POST /pubsub/push is disabled: set TIEOUT_OIDC_AUDIENCE'), maxBodyBytes: 1024 });
    const res = await push(app, envelopeOf(tiedOrder('80216')[0] as CanonicalEvent));
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: 'POST /pubsub/push is disabled: set TIEOUT_OIDC_AUDIENCE' });
  });

  it('given a poison message (data that is not a canonical event), then it answers 422 so the dead-letter policy takes it after its attempts, and commits nothing', async () => {
    const { app, store, matcher } = setup();
    const event = tiedOrder('80217')[0] as CanonicalEvent;
    for (const data of ['not json at all', JSON.stringify({ ...event, kind: 'nonsense' }), JSON.stringify({ id: 'x' })]) {
      const res = await push(app, envelopeOf(event, { data, deliveryAttempt: 10 }));
      expect(res.status).toBe(422);
      expect(((await res.json()) as { error: string }).error).toMatch(/^not a canonical event: /);
    }
    expect(matcher.stats.poison).toBe(3);
    expect(await store.count()).toBe(0);
  });

  it('given a body that is not a push envelope, then it answers 400', async () => {
    const { app } = setup();
    expect((await push(app, 'not json')).status).toBe(400);
    expect((await push(app, JSON.stringify({ message: { data: '!!!' }, subscription: SUBSCRIPTION }))).status).toBe(400);
    expect((await push(app, JSON.stringify({ message: { data: 'e30=' } }))).status).toBe(400);
  });

  it('given a requeued dead letter meant for another consumer, then it is acked (200) without being applied', async () => {
    const { app, store } = setup();
    const event = tiedOrder('80218')[0] as CanonicalEvent;
    const res = await push(app, envelopeOf(event, { attributes: { eventId: event.id, tieout_requeue_for: 'archive' } }));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, ignored: expect.stringContaining('archive') });
    expect(await store.count()).toBe(0);
  });

  it('given a commit that fails, then it answers 500 so Pub/Sub redelivers, and only the failing request fails', async () => {
    const inner = createMemoryOrderStateStore();
    let failFor: string | undefined;
    const flaky: OrderStateStore = {
      ...inner,
      transact: (fn) =>
        inner.transact(async (tx) => {
          const result = await fn(tx);
          // Fails any transaction that touched the poisoned order, after the fold staged it.
          if (failFor !== undefined && (await tx.get([failFor])).has(failFor)) throw new Error('Firestore unavailable');
          return result;
        }),
    };
    const { app, store } = setup(flaky);
    failFor = '80219';
    const [bad, good] = [tiedOrder('80219')[0] as CanonicalEvent, tiedOrder('80220')[0] as CanonicalEvent];
    const [r1, r2] = await Promise.all([push(app, envelopeOf(bad)), push(app, envelopeOf(good))]);
    expect([r1.status, r2.status]).toEqual([500, 200]);
    expect(await r1.json()).toEqual({ error: 'not committed; redeliver' });
    expect(await store.get('80219')).toBeUndefined();
    expect((await store.get('80220'))?.state.eventIds).toEqual([good.id]);

    failFor = undefined;
    expect((await push(app, envelopeOf(bad, { deliveryAttempt: 2 }))).status).toBe(200);
    expect((await store.get('80219'))?.state.eventIds).toEqual([bad.id]);
  });
});
