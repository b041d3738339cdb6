// Ingest over HTTP: the webhook routes, the feed upload route and (gcp) Shopify's Pub/Sub delivery, answering in milliseconds.
import type { HttpBindings } from '@hono/node-server';
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { bearerMatches } from '#shared/bearer.ts';
import type { Logger } from '#shared/log.ts';
import { parsePushEnvelope } from '#shared/pubsub-push.ts';
import { refusal, type RequestAuth } from '#shared/request-auth.ts';
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
  /**
   * Shopify's Pub/Sub delivery (gcp): mounts `POST /pubsub/shopify` for the push subscription on the topic
   * Shopify publishes to; `auth` checks the push's OIDC token.
   */
  readonly pubsub?: { readonly auth: RequestAuth };
};

/** Systems that can deliver to a Pub/Sub topic instead of a URL (Shopify only; FORMATS §1.1). */
export const PUBSUB_SYSTEMS = ['shopify'] as const;

export const WEBHOOK_SYSTEMS = ['shopify', 'stripe', 'shipbob'] as const;

/** Node's own request under @hono/node-server; absent when the app is called with a web Request (tests, other runtimes). */
const nodeRequest = (c: Context): HttpBindings['incoming'] | undefined => (c.env as Partial<HttpBindings> | undefined)?.incoming;

/**
 * The request's headers, names lower-cased, repeated ones joined with ", " (as the Fetch API joins
 * them). Read from Node's request when there is one: the webhook path never builds a web Headers.
 */
function requestHeaders(c: Context): Record<string, string> {
  const out: Record<string, string> = {};
  const incoming = nodeRequest(c);
  if (incoming) {
    for (const [k, v] of Object.entries(incoming.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  } else c.req.raw.headers.forEach((v, k) => (out[k.toLowerCase()] = v));
  return out;
}

/**
 * Mounts `POST /webhooks/:system` and `POST /feeds/:system` on `app`. Forged, unsigned or stale
 * deliveries get 401 and nothing is stored; bodies over the limit 413; authentic payloads 200 once
 * archived and published — or quarantined, so the sender never retries a payload we cannot read.
 */
export function ingestApi(deps: IngestHttpDeps, app: Hono = new Hono()): Hono {
  const tooLarge = (c: Context) => c.json({ error: `body larger than ${deps.maxBodyBytes} bytes` }, 413);
  const limit = bodyLimit({ maxSize: deps.maxBodyBytes, onError: tooLarge });

  /**
   * The body limit on the webhook path, where every request counts: a declared Content-Length is
   * checked without touching the body, which is then read straight from Node's request (the
   * generic limit would first wrap it in a web stream); a streamed body (chunked, no length) is
   * counted as it arrives by the generic limit.
   */
  const webhookLimit: MiddlewareHandler = async (c, next) => {
    const incoming = nodeRequest(c);
    const length = incoming ? incoming.headers['content-length'] : c.req.header('content-length');
    const streamed = (incoming ? incoming.headers['transfer-encoding'] : c.req.header('transfer-encoding')) !== undefined;
    if (length === undefined || streamed) return limit(c, next);
    if (Number(length) > deps.maxBodyBytes) return tooLarge(c);
    await next();
  };

  app.post('/webhooks/:system', webhookLimit, async (c) => {
    const system = c.req.param('system');
    if (!(WEBHOOK_SYSTEMS as readonly string[]).includes(system)) return c.json({ error: `unknown webhook source ${system}` }, 404);
    const body = Buffer.from(await c.req.arrayBuffer());
    const outcome = await deps.ingest.receive(system, { headers: requestHeaders(c), body });
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

  if (deps.pubsub) {
    const auth = deps.pubsub.auth;
    // The body arrives base64-encoded in the envelope: 4/3 of its size, plus the envelope.
    const pushLimit = bodyLimit({
      maxSize: Math.ceil((deps.maxBodyBytes * 4) / 3) + 64 * 1024,
      onError: tooLarge,
    });
    /**
     * Shopify's Pub/Sub delivery, pushed to us by our subscription: unsigned, Shopify's headers
     * (X-Shopify-Topic, X-Shopify-Webhook-Id, ...) as message attributes. The OIDC token authenticates
     * it; then it is the webhook path minus the HMAC: 200 once archived and published, or quarantined
     * (an authentic payload we cannot read is kept, never redelivered forever); 500 when the archive or
     * the bus failed, so Pub/Sub delivers it again.
     */
    for (const system of PUBSUB_SYSTEMS) {
      app.post(`/pubsub/${system}`, pushLimit, async (c) => {
        const refused = await refusal(c, auth);
        if (refused) return refused;
        const envelope = parsePushEnvelope(await c.req.text());
        if (!envelope.ok) return c.json({ error: envelope.errors.join('; ') }, 400);
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(envelope.value.attributes)) headers[name.toLowerCase()] = value;
        try {
          const outcome = await deps.ingest.receive(system, { headers, body: envelope.value.data }, { via: 'pubsub' });
          if (outcome.kind === 'refused') return c.json({ error: outcome.reason }, 400);
          return c.json({ ok: true, [outcome.kind]: outcome.rawId }, 200);
        } catch (e) {
          deps.log.error({ system, messageId: envelope.value.messageId, error: (e as Error).message }, 'Pub/Sub delivery not stored; Pub/Sub will redeliver it');
          return c.json({ error: 'not stored; redeliver' }, 500);
        }
      });
    }
  }

  app.get('/ingest/stats', (c) => c.json(deps.ingest.counters));
  return app;
}
