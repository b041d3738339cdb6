// Verifies the Google-signed OIDC ID tokens that Cloud Scheduler and Pub/Sub push send (DESIGN §9: POST /run is OIDC in GCP).
//
// A token is accepted when Google signed it (keys from Google's certificate endpoint, through
// google-auth-library's OAuth2Client.verifyIdToken), its issuer is accounts.google.com, its audience
// is one of ours (the service's URL), it has not expired, and — when service accounts are listed —
// its verified `email` is one of them.
//
// Cloud Run on a service that requires authentication checks the token itself and forwards it with
// the signature replaced by `SIGNATURE_REMOVED_BY_GOOGLE`; the service then cannot check the
// signature again. With `platformVerified` such a token is accepted on its claims (issuer, audience,
// expiry, email), because only Cloud Run's front end can have produced it; without it, it is refused.
// Never set `platformVerified` on a public (allUsers) service: anyone could write such a token there.
import { OAuth2Client } from 'google-auth-library';

/** The issuers of Google ID tokens. */
export const GOOGLE_ISSUERS = ['accounts.google.com', 'https://accounts.google.com'] as const;
/** Google's token signing keys as a PEM map (what OAuth2Client fetches by default). */
export const GOOGLE_CERTS_URL = 'https://www.googleapis.com/oauth2/v1/certs';
/** What Cloud Run puts in place of the signature of a token it verified. */
export const SIGNATURE_REMOVED = 'SIGNATURE_REMOVED_BY_GOOGLE';
/** Leeway for clocks that disagree, as google-auth-library allows. */
const CLOCK_SKEW_SECONDS = 300;

export type GoogleIdTokenVerifierOptions = {
  /** Accepted `aud` values; at least one. */
  readonly audiences: readonly string[];
  /** Accepted `email` claims (with `email_verified`); empty accepts any Google-signed token for the audience. */
  readonly serviceAccounts?: readonly string[];
  /** Where the signing keys are fetched; default Google's. Tests serve their own key here. */
  readonly certsUrl?: string;
  /** Accept tokens whose signature Cloud Run removed after checking it (see the module header). */
  readonly platformVerified?: boolean;
  /** The clock, for the claims of platform-verified tokens (signed tokens are checked by the library's clock). */
  readonly now?: () => number;
};

/** Why a token was refused: 401 not a valid token for us, 403 valid but from a caller not allowed, 503 keys unavailable. */
export type IdTokenVerdict =
  | { readonly ok: true; readonly email: string | undefined; readonly subject: string | undefined }
  | { readonly ok: false; readonly status: 401 | 403 | 503; readonly reason: string };

export type IdTokenVerifier = { verify(token: string): Promise<IdTokenVerdict> };

type Claims = { iss?: unknown; aud?: unknown; exp?: unknown; iat?: unknown; email?: unknown; email_verified?: unknown; sub?: unknown };

const refuse = (status: 401 | 403 | 503, reason: string): IdTokenVerdict => ({ ok: false, status, reason });

/** Creates a verifier; the signing keys are fetched on first use and cached as long as Google's Cache-Control allows. */
export function createGoogleIdTokenVerifier(options: GoogleIdTokenVerifierOptions): IdTokenVerifier {
  const audiences = [...options.audiences];
  if (audiences.length === 0) throw new RangeError('an ID token verifier needs at least one audience');
  const accounts = new Set((options.serviceAccounts ?? []).map((a) => a.toLowerCase()));
  const now = options.now ?? Date.now;
  const client = new OAuth2Client(options.certsUrl !== undefined ? { endpoints: { oauth2FederatedSignonPemCertsUrl: options.certsUrl } } : {});

  /** The caller check shared by both paths. */
  const allowed = (claims: Claims): IdTokenVerdict => {
    const email = typeof claims.email === 'string' ? claims.email : undefined;
    const subject = typeof claims.sub === 'string' ? claims.sub : undefined;
    if (accounts.size > 0) {
      const verified = claims.email_verified === true || claims.email_verified === 'true';
      if (email === undefined || !verified || !accounts.has(email.toLowerCase()))
        return refuse(403, `the token's identity ${email === undefined ? '(no email claim)' : JSON.stringify(email)} is not an allowed caller`);
    }
    return { ok: true, email, subject };
  };

  /** The checks the library makes on signed tokens, made here for tokens Cloud Run already verified. */
  const checkClaims = (claims: Claims): IdTokenVerdict | undefined => {
    if (typeof claims.iss !== 'string' || !(GOOGLE_ISSUERS as readonly string[]).includes(claims.iss)) return refuse(401, 'wrong issuer: not a Google ID token');
    if (typeof claims.aud !== 'string' || !audiences.includes(claims.aud)) return refuse(401, 'wrong audience');
    const exp = Number(claims.exp);
    const iat = Number(claims.iat);
    if (!Number.isFinite(exp) || !Number.isFinite(iat)) return refuse(401, 'no expiry or issue time');
    const seconds = now() / 1000;
    if (seconds > exp + CLOCK_SKEW_SECONDS) return refuse(401, 'expired');
    if (seconds < iat - CLOCK_SKEW_SECONDS) return refuse(401, 'issued in the future');
    return undefined;
  };

  return {
    async verify(token) {
      const parts = token.split('.');
      if (parts.length !== 3 || parts.some((p) => p === '')) return refuse(401, 'not a JWT');
      if (parts[2] === SIGNATURE_REMOVED) {
        if (options.platformVerified !== true)
          return refuse(401, 'the token arrived with its signature removed by Google; set TIEOUT_OIDC_PLATFORM_VERIFIED=true only on a Cloud Run service that requires authentication');
        const claims = decodeClaims(parts[1] as string);
        if (claims === undefined) return refuse(401, 'unreadable claims');
        return checkClaims(claims) ?? allowed(claims);
      }
      let claims: Claims;
      try {
        const ticket = await client.verifyIdToken({ idToken: token, audience: audiences });
        claims = (ticket.getPayload() ?? {}) as Claims;
      } catch (e) {
        return libraryRefusal(e);
      }
      return allowed(claims);
    },
  };
}

function decodeClaims(segment: string): Claims | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Claims) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The library's error as a reason. Its messages quote the whole token, which must not reach a log
 * or a response (it is a bearer credential until it expires), so only the kind is kept.
 */
function libraryRefusal(e: unknown): IdTokenVerdict {
  const message = e instanceof Error ? e.message : String(e);
  const kinds: readonly [RegExp, 401 | 503, string][] = [
    [/^Failed to retrieve verification certificates/, 503, 'the token signing keys could not be fetched'],
    [/^Invalid token signature/, 401, 'bad signature'],
    [/^No pem found/, 401, 'signed with an unknown key'],
    [/^Wrong recipient/, 401, 'wrong audience'],
    [/^Invalid issuer/, 401, 'wrong issuer: not a Google ID token'],
    [/^Token used too late/, 401, 'expired'],
    [/^Token used too early/, 401, 'issued in the future'],
    [/^Expiration time too far in future/, 401, 'expiry too far in the future'],
    [/^No (issue|expiration) time/, 401, 'no expiry or issue time'],
  ];
  for (const [pattern, status, reason] of kinds) if (pattern.test(message)) return refuse(status, reason);
  return refuse(401, 'not a valid ID token');
}
