// The OIDC ID token verifier against a local issuer: what Google signs for the right audience and caller passes, nothing else does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signatureRemoved, startTokenIssuer, type TokenIssuer } from '../../../test/support/oidc.ts';
import { createGoogleIdTokenVerifier, type IdTokenVerdict } from './google-id-token.ts';

const AUDIENCE = 'https://tieout-nightly-report-123456789.us-central1.run.app';
const SCHEDULER = 'tieout-scheduler@acme-prod.iam.gserviceaccount.com';
let issuer: TokenIssuer;

beforeAll(async () => {
  issuer = await startTokenIssuer({ audience: AUDIENCE, email: SCHEDULER });
});
afterAll(async () => {
  await issuer.stop();
});

const verifier = (options: { serviceAccounts?: string[]; platformVerified?: boolean; certsUrl?: string; audiences?: string[] } = {}) =>
  createGoogleIdTokenVerifier({ audiences: options.audiences ?? [AUDIENCE], serviceAccounts: options.serviceAccounts ?? [SCHEDULER], certsUrl: options.certsUrl ?? issuer.certsUrl, platformVerified: options.platformVerified ?? false });

const refused = (verdict: IdTokenVerdict) => (verdict.ok ? 'accepted' : { status: verdict.status, reason: verdict.reason });

describe('Google ID token verifier', () => {
  it('given a token Google signed for our audience from the allowed account, then it is accepted with its email', async () => {
    const verdict = await verifier().verify(issuer.sign(issuer.claims()));
    expect(verdict).toEqual({ ok: true, email: SCHEDULER, subject: '113829812309834234' });
  });

  it('accepts any of several audiences (a Cloud Run service has two URLs)', async () => {
    const v = verifier({ audiences: ['https://tieout-nightly-report-abc123-uc.a.run.app', AUDIENCE] });
    expect((await v.verify(issuer.sign(issuer.claims()))).ok).toBe(true);
  });

  it.each([
    ['wrong audience', { aud: 'https://someone-else.run.app' }, 'wrong audience'],
    ['wrong issuer', { iss: 'https://securetoken.google.com/acme-prod' }, 'wrong issuer: not a Google ID token'],
    ['expired', { iat: Math.floor(Date.now() / 1000) - 7200, exp: Math.floor(Date.now() / 1000) - 3600 }, 'expired'],
    ['issued in the future', { iat: Math.floor(Date.now() / 1000) + 3600, exp: Math.floor(Date.now() / 1000) + 7200 }, 'issued in the future'],
  ])('given a token with the %s, then it is refused with 401', async (_name, overrides, reason) => {
    expect(refused(await verifier().verify(issuer.sign(issuer.claims(overrides))))).toEqual({ status: 401, reason });
  });

  it('given a token signed by another key under the served key id, then the signature is refused', async () => {
    expect(refused(await verifier().verify(issuer.sign(issuer.claims(), { key: issuer.otherKey })))).toEqual({ status: 401, reason: 'bad signature' });
  });

  it('given a token under a key id Google does not serve, then it is refused', async () => {
    expect(refused(await verifier().verify(issuer.sign(issuer.claims(), { kid: 'not-a-google-key' })))).toEqual({ status: 401, reason: 'signed with an unknown key' });
  });

  it('given a token whose payload was altered after signing, then the signature is refused', async () => {
    const [head, , sig] = issuer.sign(issuer.claims()).split('.');
    const forged = `${head}.${Buffer.from(JSON.stringify(issuer.claims({ email: 'attacker@evil.example' }))).toString('base64url')}.${sig}`;
    expect(refused(await verifier({ serviceAccounts: [] }).verify(forged))).toEqual({ status: 401, reason: 'bad signature' });
  });

  it('given a valid token from another service account, or an unverified email, then it is refused with 403', async () => {
    expect(refused(await verifier().verify(issuer.sign(issuer.claims({ email: 'intruder@acme-prod.iam.gserviceaccount.com' }))))).toMatchObject({ status: 403 });
    expect(refused(await verifier().verify(issuer.sign(issuer.claims({ email_verified: false }))))).toMatchObject({ status: 403 });
    expect(refused(await verifier().verify(issuer.sign(issuer.claims({ email: undefined }))))).toMatchObject({ status: 403 });
  });

  it('with no service accounts listed, any Google-signed token for the audience is accepted', async () => {
    const verdict = await verifier({ serviceAccounts: [] }).verify(issuer.sign(issuer.claims({ email: 'anyone@acme-prod.iam.gserviceaccount.com' })));
    expect(verdict).toMatchObject({ ok: true, email: 'anyone@acme-prod.iam.gserviceaccount.com' });
  });

  it('refuses what is not a JWT, and never quotes the token in its reason', async () => {
    expect(refused(await verifier().verify('not-a-token'))).toEqual({ status: 401, reason: 'not a JWT' });
    const token = issuer.sign(issuer.claims({ aud: 'https://other.run.app' }));
    const verdict = await verifier().verify(token);
    expect(JSON.stringify(verdict)).not.toContain(token.split('.')[1]);
  });

  it('answers 503 when the signing keys cannot be fetched, so the caller retries', async () => {
    const v = verifier({ certsUrl: 'http://127.0.0.1:9/certs' });
    expect(refused(await v.verify(issuer.sign(issuer.claims())))).toEqual({ status: 503, reason: 'the token signing keys could not be fetched' });
  }, 30_000);

  it('fetches the keys once and caches them as long as Cache-Control allows', async () => {
    const v = verifier();
    const before = issuer.fetches();
    for (let i = 0; i < 3; i++) expect((await v.verify(issuer.sign(issuer.claims()))).ok).toBe(true);
    expect(issuer.fetches() - before).toBe(1);
  });

  describe('a token whose signature Cloud Run removed after checking it', () => {
    it('is refused unless the service is declared platform-verified', async () => {
      const verdict = await verifier().verify(signatureRemoved(issuer.sign(issuer.claims())));
      expect(refused(verdict)).toMatchObject({ status: 401, reason: expect.stringContaining('TIEOUT_OIDC_PLATFORM_VERIFIED') });
    });

    it('is accepted on its claims when platform-verified, and its claims are still checked', async () => {
      const v = verifier({ platformVerified: true });
      expect(await v.verify(signatureRemoved(issuer.sign(issuer.claims())))).toMatchObject({ ok: true, email: SCHEDULER });
      expect(refused(await v.verify(signatureRemoved(issuer.sign(issuer.claims({ aud: 'https://other.run.app' })))))).toEqual({ status: 401, reason: 'wrong audience' });
      expect(refused(await v.verify(signatureRemoved(issuer.sign(issuer.claims({ iss: 'https://evil.example' })))))).toMatchObject({ status: 401 });
      const stale = signatureRemoved(issuer.sign(issuer.claims({ exp: Math.floor(Date.now() / 1000) - 3600 })));
      expect(refused(await v.verify(stale))).toEqual({ status: 401, reason: 'expired' });
      expect(refused(await v.verify(signatureRemoved(issuer.sign(issuer.claims({ email: 'intruder@acme-prod.iam.gserviceaccount.com' })))))).toMatchObject({ status: 403 });
    });

    it('a signed token is still checked by its signature when platform-verified', async () => {
      expect(refused(await verifier({ platformVerified: true }).verify(issuer.sign(issuer.claims(), { key: issuer.otherKey })))).toEqual({ status: 401, reason: 'bad signature' });
    });
  });
});
