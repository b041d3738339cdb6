// Ingest over HTTP: the webhook routes, the feed upload route and (gcp) Shopify's Pub/Sub delivery, answering in milliseconds.
import { createServer, type IncomingMessage, type RequestListener, type ServerOptions, type ServerResponse } from 'node:http';
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

/** Node's request headers as a delivery's: names lower-cased, repeated ones joined with ", " (as the Fetch API joins them). */
function nodeHeaders(incoming: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(incoming.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** The request's headers (see `nodeHeaders`), read from Node's request when there is one. */
function requestHeaders(c: Context): Record<string, string> {
  const incoming = nodeRequest(c);
  if (incoming) return nodeHeaders(incoming);
  const out: Record<string, string> = {};
  c.req.raw.headers.forEach((v, k) => (out[k.toLowerCase()] = v));
  return out;
}

/** A body's declared length; undefined when it is streamed (chunked) or undeclared, so it is counted as it arrives. */
const declaredLength = (contentLength: string | undefined, transferEncoding: string | undefined): number | undefined =>
  contentLength === undefined || transferEncoding !== undefined ? undefined : Number(contentLength);

type WebhookDeps = Pick<IngestHttpDeps, 'ingest' | 'maxBodyBytes' | 'log'>;
/** What `POST /webhooks/:system` answers: a status and a JSON body. */
type Answer = { readonly status: 200 | 401 | 404 | 413 | 500; readonly body: Readonly<Record<string, unknown>> };

const tooLargeAnswer = (maxBodyBytes: number): Answer => ({ status: 413, body: { error: `body larger than ${maxBodyBytes} bytes` } });
const isWebhookSystem = (system: string): boolean => (WEBHOOK_SYSTEMS as readonly string[]).includes(system);

/**
 * One webhook delivery, received: 401 when forged, unsigned or stale; 200 once archived and
 * published, or quarantined; 500 when it could not be stored, so the sender delivers it again.
 */
async function answerWebhook(deps: WebhookDeps, system: string, headers: Record<string, string>, body: Buffer): Promise<Answer> {
  if (!isWebhookSystem(system)) return { status: 404, body: { error: `unknown webhook source ${system}` } };
  try {
    const outcome = await deps.ingest.receive(system, { headers, body });
    if (outcome.kind === 'refused') return { status: 401, body: { error: 'signature check failed' } };
    return { status: 200, body: { ok: true, [outcome.kind]: outcome.rawId } };
  } catch (e) {
    deps.log.error({ system, error: (e as Error).message }, 'webhook not stored; the sender will deliver it again');
    return { status: 500, body: { error: 'not stored; deliver again' } };
  }
}

/**
 * `POST /webhooks/:system` on Node's request and response, for `tieout serve`'s server to try before
 * its Hono app: the same answers as the route `ingestApi` mounts, without building the web Request,
 * context and Response around each delivery (about 5 µs of the HTTP thread's CPU per webhook at
 * 10,000/s; BENCHMARKS.md §7). Takes only a POST to exactly `/webhooks/<name>` with a declared
 * Content-Length; returns false for anything else (a chunked body, another route), which the app
 * then answers.
 */
export function webhookFastPath(deps: WebhookDeps): (req: IncomingMessage, res: ServerResponse) => boolean {
  const prefix = '/webhooks/';
  return (req, res) => {
    const url = req.url ?? '';
    if (req.method !== 'POST' || !url.startsWith(prefix)) return false;
    const length = declaredLength(req.headers['content-length'], req.headers['transfer-encoding']);
    if (length === undefined) return false;
    const query = url.indexOf('?');
    const system = decodeSegment(url.slice(prefix.length, query < 0 ? undefined : query));
    if (system === undefined) return false;
    const reply = (a: Answer) => {
      const text = JSON.stringify(a.body);
      res.writeHead(a.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (length > deps.maxBodyBytes) {
      reply(tooLargeAnswer(deps.maxBodyBytes));
      return true;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      void answerWebhook(deps, system, nodeHeaders(req), body).then(reply);
    });
    return true;
  };
}

/** Node's `createServer` for @hono/node-server's `serve`, with `first` offered each request before the app. */
export function createServerTrying(first: (req: IncomingMessage, res: ServerResponse) => boolean): typeof createServer {
  const create = (options: ServerOptions, appListener: RequestListener) =>
    createServer(options, (req, res) => {
      if (!first(req, res)) appListener(req, res);
    });
  return create as typeof createServer;
}

/** A path segment as Hono's router reads it (percent-decoded); undefined when it is not one segment. */
function decodeSegment(segment: string): string | undefined {
  if (segment === '' || segment.includes('/')) return undefined;
  try {
    return segment.includes('%') ? decodeURIComponent(segment) : segment;
  } catch {
    return undefined;
  }
}

/**
 * Mounts `POST /webhooks/:system` and `POST /feeds/:system` on `app`. Forged, unsigned or stale
 * deliveries get 401 and nothing is stored; bodies over the limit 413; authentic payloads 200 once
 * archived and published — or quarantined, so the sender never retries a payload we cannot read.
 */
export function ingestApi(deps: IngestHttpDeps, app: Hono = new Hono()): Hono {
  const tooLarge = (c: Context) => c.json(tooLargeAnswer(deps.maxBodyBytes).body, 413);
  const limit = bodyLimit({ maxSize: deps.maxBodyBytes, onError: tooLarge });

  /**
   * The body limit on the webhook path, where every request counts: a declared Content-Length is
   * checked without touching the body, which is then read straight from Node's request (the
   * generic limit would first wrap it in a web stream); a streamed body (chunked, no length) is
   * counted as it arrives by the generic limit.
   */
  const webhookLimit: MiddlewareHandler = async (c, next) => {
    const incoming = nodeRequest(c);
    const length = incoming
      ? declaredLength(incoming.headers['content-length'], incoming.headers['transfer-encoding'])
      : declaredLength(c.req.header('content-length'), c.req.header('transfer-encoding'));
    if (length === undefined) return limit(c, next);
    if (length > deps.maxBodyBytes) return tooLarge(c);
    await next();
  };

  app.post('/webhooks/:system', webhookLimit, async (c) => {
    const system = c.req.param('system');
    // An unknown sender's body is not even read.
    const body = isWebhookSystem(system) ? Buffer.from(await c.req.arrayBuffer()) : Buffer.alloc(0);
    const answer = await answerWebhook(deps, system, requestHeaders(c), body);
    return c.json(answer.body, answer.status);
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
