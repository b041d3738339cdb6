// A stand-in for Google's token issuer: an RSA key made here, its public half served as Google serves its certs, and ID tokens signed with it.
import { createServer, type Server } from 'node:http';
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';

export type Claims = Record<string, unknown>;

export type TokenIssuer = {
  /** Serve this as the verifier's certs URL (`TIEOUT_OIDC_CERTS_URL`): `{ <kid>: <PEM public key> }`, like Google's v1 certs. */
  readonly certsUrl: string;
  /** An RS256 JWT over `claims`, signed with the served key (or `key`, to forge one), under `kid`. */
  sign(claims: Claims, options?: { readonly key?: KeyObject; readonly kid?: string }): string;
  /** Claims as Google puts them in a Cloud Scheduler or Pub/Sub push token, with `overrides` on top. */
  claims(overrides?: Claims): Claims;
  /** Another key pair's private key, for tokens the served key does not verify. */
  readonly otherKey: KeyObject;
  /** How many times the certs were fetched. */
  readonly fetches: () => number;
  stop(): Promise<void>;
};

const b64url = (value: object | Buffer): string => (Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value))).toString('base64url');

/** Starts the issuer on a free loopback port; `audience` and `email` are the defaults of `claims()`. */
export async function startTokenIssuer(defaults: { readonly audience: string; readonly email: string }): Promise<TokenIssuer> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const kid = randomUUID().replaceAll('-', '');
  const certs = JSON.stringify({ [kid]: publicKey.export({ type: 'spki', format: 'pem' }) });
  let fetches = 0;
  const server: Server = createServer((req, res) => {
    if (req.url !== '/certs') {
      res.writeHead(404).end();
      return;
    }
    fetches++;
    res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8', 'cache-control': 'public, max-age=300' }).end(certs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    certsUrl: `http://127.0.0.1:${port}/certs`,
    otherKey,
    fetches: () => fetches,
    sign(claims, options = {}) {
      const head = b64url({ alg: 'RS256', kid: options.kid ?? kid, typ: 'JWT' });
      const body = b64url(claims);
      const signature = sign('RSA-SHA256', Buffer.from(`${head}.${body}`), options.key ?? privateKey);
      return `${head}.${body}.${b64url(signature)}`;
    },
    claims(overrides = {}) {
      const now = Math.floor(Date.now() / 1000);
      return {
        iss: 'https://accounts.google.com',
        aud: defaults.audience,
        azp: '113829812309834234',
        sub: '113829812309834234',
        email: defaults.email,
        email_verified: true,
        iat: now,
        exp: now + 3600,
        ...overrides,
      };
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A token as Cloud Run forwards it after checking it: the signature replaced by Google's marker. */
export function signatureRemoved(token: string): string {
  return `${token.split('.').slice(0, 2).join('.')}.SIGNATURE_REMOVED_BY_GOOGLE`;
}
