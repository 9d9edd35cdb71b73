import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Actor, isAuthError, localKeyResolver, verifyAccessToken } from '../src/index.js';
import { AUDIENCE, b64url, ISSUER, makeKey, NOW, sign } from './helpers/keys.js';

const key = await makeKey();
const resolver = localKeyResolver({ keys: [key.publicJwk] });
const valid = await sign(key);
const verify = (token: string) =>
  verifyAccessToken(token, { resolver, issuer: ISSUER, audience: AUDIENCE, now: NOW });
const genuine = await verify(valid);

const base64urlText = fc.stringMatching(/^[A-Za-z0-9_-]{0,60}$/);

const header = fc.record(
  {
    alg: fc.constantFrom('EdDSA', 'Ed25519', 'none', 'HS256', 'ES256', 'RS256', ''),
    typ: fc.constantFrom('at+jwt', 'application/at+jwt', 'AT+JWT', 'JWT', 'tb-presentation+jwt'),
    kid: fc.oneof(fc.constant(key.kid), fc.string({ maxLength: 80 })),
    jwk: fc.constant(key.publicJwk),
    jku: fc.constant('http://127.0.0.1:1/jwks.json'),
    crit: fc.constant(['exp']),
  },
  { requiredKeys: [] },
);

const [validHeader = '', validPayload = '', validSignature = ''] = valid.split('.');

const candidates = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.array(base64urlText, { maxLength: 5 }).map((parts) => parts.join('.')),
  // A header of any shape over the genuine payload and signature.
  fc.oneof(header, fc.jsonValue()).map((h) => `${b64url(h)}.${validPayload}.${validSignature}`),
  // Any JSON payload under the genuine header and signature.
  fc.jsonValue().map((p) => `${validHeader}.${b64url(p)}.${validSignature}`),
  // The genuine token with characters replaced, inserted or cut.
  fc
    .tuple(
      fc.nat(valid.length - 1),
      fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 3 }),
    )
    .map(([at, text]) => valid.slice(0, at) + text + valid.slice(at + 1)),
  fc.nat(valid.length).map((at) => valid.slice(0, at)),
);

describe('verifyAccessToken', () => {
  it('returns the genuine actor or throws AuthError 401, for any input whatsoever', async () => {
    await fc.assert(
      fc.asyncProperty(candidates, async (token) => {
        let actor: Actor | undefined;
        try {
          actor = await verify(token);
        } catch (err) {
          expect(isAuthError(err)).toBe(true);
          expect(err).toMatchObject({ code: 'unauthorized', status: 401 });
          return;
        }
        // Only the genuine token — or one decoding to the same bytes — may get through.
        expect(actor).toEqual(genuine);
      }),
      { numRuns: 6_000 },
    );
  });
});
