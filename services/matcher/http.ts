// The order API: `GET /orders/:key`, behind a bearer token, served by the matcher service.
import { Hono } from 'hono';
import type { CheckConfig } from '#shared/domain/checks.ts';
import { latestBusinessDate, type BusinessCalendar } from '#shared/domain/business-date.ts';
import type { KeyRules } from '#shared/domain/refs.ts';
import type { Rule } from '#shared/domain/rules.ts';
import { bearerMatches } from '#shared/bearer.ts';
import type { Archive } from '#shared/ports/archive.ts';
import type { OrderStateStore } from '#shared/ports/order-state-store.ts';
import { buildOrderView, findOrder } from './order-view.ts';

export type OrderApiDeps = {
  readonly store: OrderStateStore;
  readonly archive: Archive;
  /** Read on each request, so an edited rules file applies without a restart. */
  readonly rules: () => readonly Rule[];
  readonly checkConfig: CheckConfig;
  readonly keyRules: KeyRules;
  readonly calendar: BusinessCalendar;
  readonly apiToken: string | undefined;
  readonly now: () => string;
};

/** Mounts the order API routes on `app` (or a new app) and returns it. */
export function orderApi(deps: OrderApiDeps, app: Hono = new Hono()): Hono {
  app.get('/orders/:key', async (c) => {
    if (!deps.apiToken) return c.json({ error: 'the order API is disabled: set TIEOUT_API_TOKEN' }, 503);
    if (!bearerMatches(c.req.header('authorization'), deps.apiToken)) {
      c.header('WWW-Authenticate', 'Bearer');
      return c.json({ error: 'missing or wrong bearer token' }, 401);
    }
    const key = c.req.param('key');
    const stored = await findOrder(deps.store, key, deps.keyRules);
    if (!stored) return c.json({ error: `no order known as ${JSON.stringify(key)}` }, 404);
    const asOf = deps.now();
    const view = await buildOrderView(stored, { archive: deps.archive, rules: deps.rules(), checkConfig: deps.checkConfig, asOf, businessDate: latestBusinessDate(asOf, deps.calendar) });
    return c.json(view);
  });
  return app;
}
