import { describe, expect, it } from 'vitest';
import { createMemoryArchive } from '#shared/adapters/memory/archive.ts';
import { createMemoryOrderStateStore } from '#shared/adapters/memory/order-state-store.ts';
import { DEFAULT_CHECK_CONFIG } from '#shared/domain/checks.ts';
import { DEFAULT_KEY_RULES } from '#shared/domain/refs.ts';
import { RuleSchema } from '#shared/domain/rules.ts';
import { canonicalEntry } from '../ingest/publish.ts';
import { tiedOrder } from '../../test/support/scenarios.ts';
import { foldEvents } from './fold.ts';
import { orderApi } from './http.ts';

const TOKEN = 's3cret-token-for-tests';
const NOW = '2026-11-26T07:00:00.000Z';

async function app(apiToken: string | undefined = TOKEN) {
  const store = createMemoryOrderStateStore();
  const archive = createMemoryArchive();
  const events = tiedOrder('80213').filter((e) => e.kind !== 'shipment');
  await archive.append(events.map(canonicalEntry));
  await store.transact((tx) => foldEvents(tx, events, { checkConfig: DEFAULT_CHECK_CONFIG, now: NOW }));
  const rules = [RuleSchema.parse({ id: 'preorder', exception: '80213:captured_not_shipped', reason: 'pre-order', owner: 'fulfilment', added: '2026-11-01' })];
  return orderApi({ store, archive, rules: () => rules, checkConfig: DEFAULT_CHECK_CONFIG, keyRules: DEFAULT_KEY_RULES, calendar: { timeZone: 'UTC', cutoff: '06:00' }, apiToken, now: () => NOW });
}

const get = async (path: string, auth?: string, token?: string) => (await app(token)).request(path, auth ? { headers: { authorization: auth } } : {});

describe('GET /orders/:key', () => {
  it('answers 401 without a token or with a wrong one, and says how to authenticate', async () => {
    const none = await get('/orders/80213');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect((await get('/orders/80213', 'Bearer nope')).status).toBe(401);
    expect((await get('/orders/80213', `Basic ${TOKEN}`)).status).toBe(401);
    expect((await get('/orders/80213', `Bearer ${TOKEN}x`)).status).toBe(401);
  });

  it('is disabled (503) when no token is configured, never open', async () => {
    const res = await get('/orders/80213', 'Bearer ', '');
    expect(res.status).toBe(503);
  });

  it('answers 404 for an unknown key', async () => {
    const res = await get('/orders/99999', `Bearer ${TOKEN}`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'no order known as "99999"' });
  });

  it('returns what every source says, the open breaks with age, window and bucket, and the timeline', async () => {
    const res = await get('/orders/%2380213', `Bearer ${TOKEN}`);
    expect(res.status).toBe(200);
    const view = (await res.json()) as Record<string, any>;
    expect(view.key).toBe('80213');
    expect(view.open).toBe(true);
    expect(view.breaks).toEqual([
      expect.objectContaining({ id: '80213:captured_not_shipped', bucket: 'known_accepted', rule: 'preorder', windowHours: 48, amount: 5000, currency: 'USD', owner: 'fulfilment' }),
    ]);
    expect(view.breaks[0].ageHours).toBeGreaterThan(100);
    expect(view.timeline.map((t: { kind: string }) => t.kind)).toEqual(['order', 'transaction', 'payment', 'booking']);
    expect(view.processor.payments[0]).toMatchObject({ paymentId: 'pi_80213', captured: 5000 });
  });

  it('finds an order by any reference it is known by', async () => {
    for (const ref of ['pi_80213', 'payment:pi_80213', '4580213']) {
      const res = await get(`/orders/${ref}`, `Bearer ${TOKEN}`);
      expect(res.status, ref).toBe(200);
      expect(((await res.json()) as { key: string }).key).toBe('80213');
    }
  });
});
