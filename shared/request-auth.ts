// Who may call a route: the API bearer token (one machine) or a Google-signed OIDC ID token (Cloud Scheduler, Pub/Sub push).
import type { Context } from 'hono';
import type { IdTokenVerifier } from './adapters/gcp/google-id-token.ts';
import { bearerMatches } from './bearer.ts';

/** The verdict on one request; `caller` names who it was (for logs), never a secret. */
export type AuthDecision = { readonly ok: true; readonly caller: string } | { readonly ok: false; readonly status: 401 | 403 | 503; readonly error: string };

/** Decides a request from its headers (names lower-case). */
export type RequestAuth = (header: (name: string) => string | undefined) => Promise<AuthDecision>;

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** `Authorization: Bearer <token>` in constant time; 503 with `disabled` when no token is configured. */
export function bearerTokenAuth(token: string | undefined, disabled: string): RequestAuth {
  return async (header) => {
    if (!token) return { ok: false, status: 503, error: disabled };
    if (!bearerMatches(header('authorization'), token)) return { ok: false, status: 401, error: 'missing or wrong bearer token' };
    return { ok: true, caller: 'api-token' };
  };
}

/**
 * A Google ID token as a bearer credential; 503 with `disabled` when no verifier is configured.
 * `X-Serverless-Authorization` wins over `Authorization` when both are present, as on Cloud Run,
 * whose front end authenticates the request with that header (and removes its signature).
 */
export function idTokenAuth(verifier: IdTokenVerifier | undefined, disabled: string): RequestAuth {
  return async (header) => {
    if (!verifier) return { ok: false, status: 503, error: disabled };
    const value = header('x-serverless-authorization') ?? header('authorization');
    const token = BEARER.exec(value?.trim() ?? '')?.[1];
    if (token === undefined) return { ok: false, status: 401, error: 'missing bearer ID token' };
    const verdict = await verifier.verify(token);
    if (!verdict.ok) return { ok: false, status: verdict.status, error: `ID token refused: ${verdict.reason}` };
    return { ok: true, caller: verdict.email ?? verdict.subject ?? 'google-id-token' };
  };
}

/** Runs `auth` on a Hono request: undefined when it may go on, else the error response to send. */
export async function refusal(c: Context, auth: RequestAuth): Promise<Response | undefined> {
  const decision = await auth((name) => c.req.header(name));
  if (decision.ok) return undefined;
  if (decision.status === 401) c.header('WWW-Authenticate', 'Bearer');
  return c.json({ error: decision.error }, decision.status);
}
