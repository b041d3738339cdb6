// Ingest over HTTP: the webhook routes and the feed upload route, answering in milliseconds.
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { bearerMatches } from '#shared/bearer.ts';
import type { Logger } from '#shared/log.ts';
import type { createIngest } from './ingest.ts';
import type { importText } from './files.ts';

type Ingest = ReturnType<typeof createIngest>;

export type IngestHttpDeps = {
  readonly ingest: Ingest;
  /** Imports an uploaded feed file's text for a system (the same path as `tieout import`). */
  readonly importFeed: (system: string, text: string, name: string) => ReturnType<typeof importText>;
  readonly apiToken: string | undefined;
  readonly maxBodyBytes: number;
  readonly log: Logger;
};

export const WEBHOOK_SYSTEMS = ['shopify', 'stripe', 'shipbob'] as const;

function lowerHeaders(h: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  h.forEach((v, k) => {
    out[k.toLowerCase()] = v;
  });
  return out;
}

/**
 * Mounts `POST /webhooks/:system` and `POST /feeds/:system` on `app`. Forged, unsigned or stale
 * deliveries get 401 and nothing is stored; bodies over the limit 413; authentic payloads 200 once
 * archived and published — or quarantined, so the sender never retries a payload we cannot read.
 */
export function ingestApi(deps: IngestHttpDeps, app: Hono = new Hono()): Hono {
  const limit = bodyLimit({
    maxSize: deps.maxBodyBytes,
    onError: (c) => c.json({ error: `body larger than ${deps.maxBodyBytes} bytes` }, 413),
  });

  app.post('/webhooks/:system', limit, async (c) => {
    const system = c.req.param('system');
    if (!(WEBHOOK_SYSTEMS as readonly string[]).includes(system)) return c.json({ error: `unknown webhook source ${system}` }, 404);
    const body = Buffer.from(await c.req.arrayBuffer());
    const outcome = await deps.ingest.receive(system, { headers: lowerHeaders(c.req.raw.headers), body });
    if (outcome.kind === 'refused') return c.json({ error: 'signature check failed' }, 401);
    return c.json({ ok: true, [outcome.kind]: outcome.rawId }, 200);
  });

  app.post('/feeds/:system', limit, async (c) => {
    if (!deps.apiToken) return c.json({ error: 'feeds are disabled: set TIEOUT_API_TOKEN' }, 503);
    if (!bearerMatches(c.req.header('authorization'), deps.apiToken)) {
      c.header('WWW-Authenticate', 'Bearer');
      return c.json({ error: 'missing or wrong bearer token' }, 401);
    }
    const system = c.req.param('system');
    const name = c.req.query('name') ?? `upload.${c.req.header('content-type')?.includes('csv') ? 'csv' : 'json'}`;
    const result = await deps.importFeed(system, await c.req.text(), name);
    if (!result.ok) return c.json({ error: result.errors.join('; ') }, 400);
    return c.json(result.value, 200);
  });

  app.get('/ingest/stats', (c) => c.json(deps.ingest.counters));
  return app;
}
