/**
 * Residents for records' tests. Every request made with a resident token must carry a fresh DPoP
 * proof (RFC 9449) signed by the device key the token is bound to; this file makes all three.
 *
 * ```ts
 * const clock = () => new Date();                    // or a hand-moved clock: one per test file
 * const issuer = await testIssuer(clock);            // @tongban/test-tokens: stands in for identity
 * const t = await startTestApp({}, { keyResolver: issuer.keyResolver, clock });
 * const alice = await testResident(issuer, clock);   // a new subject with a device and a token
 *
 * await t.app.inject({ method: 'GET', url: '/v1/consents', headers: await alice.headersFor('GET', '/v1/consents') });
 * // or with the typed client (no token on the client itself: the headers carry it)
 * await client.GET('/v1/consents', { headers: await alice.headersFor('GET', '/v1/consents') });
 * ```
 *
 * - `headersFor(method, url)` returns `{ authorization: 'DPoP <token>', dpop: <proof> }`. Call it
 *   once per request: records accepts a proof once. `url` is what the app receives (query
 *   allowed: the proof names the URL without it); the proof names `PUBLIC_URL` + that path.
 * - Proofs and tokens read the clock you pass, so they agree with the app's clock; pass the same
 *   one to `startTestApp`, or the app may find a proof stale or from the future.
 * - `device.proof(method, url, { accessToken, now, baseUrl })` makes a proof you can spoil on
 *   purpose (another token, an old `iat`, another base URL), e.g. for a refusal test.
 */
import { randomUUID } from 'node:crypto';
import { makeProof, type ProofKey } from '@tongban/phone';
import type { TestIssuer } from '@tongban/test-tokens';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { PUBLIC_URL } from './app.js';

/** A phone's device key: its private half never leaves WebCrypto; its thumbprint binds tokens. */
export interface TestDevice {
  /** RFC 7638 thumbprint of the public key: the token's `cnf.jkt`. */
  readonly jkt: string;
  /** A proof for one request; `accessToken` adds `ath`, `now` dates it, `baseUrl` replaces PUBLIC_URL. */
  proof(
    method: string,
    url: string,
    options?: { readonly accessToken?: string; readonly now?: Date; readonly baseUrl?: string },
  ): Promise<string>;
}

export interface TestResident {
  /** The pseudonymous subject id, as identity would put it in `sub`. */
  readonly subject: string;
  /** An access token bound to `device` (`cnf.jkt`), valid 15 minutes from its issue on the clock. */
  readonly token: string;
  readonly device: TestDevice;
  /** `Authorization` and `DPoP` for one request, with a fresh proof. */
  headersFor(method: string, url: string): Promise<{ authorization: string; dpop: string }>;
}

export async function testDevice(
  clock: () => Date,
  alg: ProofKey['alg'] = 'ES256',
): Promise<TestDevice> {
  const { privateKey, publicKey } = await generateKeyPair(
    alg,
    alg === 'EdDSA' ? { crv: 'Ed25519' } : {},
  );
  const publicJwk = await exportJWK(publicKey);
  const key: ProofKey = { alg, privateKey, publicJwk };
  return {
    jkt: await calculateJwkThumbprint(publicJwk),
    proof: (method, url, options = {}) =>
      makeProof(key, {
        method,
        url: `${options.baseUrl ?? PUBLIC_URL}${url.split('?')[0] ?? url}`,
        now: options.now ?? clock(),
        ...(options.accessToken === undefined ? {} : { accessToken: options.accessToken }),
      }),
  };
}

/** A resident with a device and a token bound to it; `subject` defaults to a fresh one. */
export async function testResident(
  issuer: TestIssuer,
  clock: () => Date,
  subject = `subject-${randomUUID()}`,
): Promise<TestResident> {
  const device = await testDevice(clock);
  const token = await issuer.resident(subject, { jkt: device.jkt });
  return {
    subject,
    token,
    device,
    headersFor: async (method, url) => ({
      authorization: `DPoP ${token}`,
      dpop: await device.proof(method, url, { accessToken: token }),
    }),
  };
}
