import { CompactSign, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuthFailure,
  createJwksKeyResolver,
  httpJwksFetcher,
  type KeyResolver,
  verifyAccessToken,
} from '../src/index.js';
import { type JwksServer, manualClock, startJwksServer } from './helpers/jwks-server.js';
import {
  AUDIENCE,
  b64url,
  ISSUER,
  makeKey,
  NOW,
  residentClaims,
  sign,
  staffClaims,
  type TestKey,
} from './helpers/keys.js';

let server: JwksServer;
let legit: TestKey;
let attacker: TestKey;
let valid: string;

beforeAll(async () => {
  legit = await makeKey('signing-2030-01');
  attacker = await makeKey('attacker');
  server = await startJwksServer({ keys: [legit.publicJwk] });
  valid = await sign(legit);
});
afterAll(() => server.close());

function freshResolver(): KeyResolver {
  return createJwksKeyResolver({
    fetchJwks: httpJwksFetcher(server.url, { timeoutMs: 2_000 }),
    now: manualClock().now,
  });
}

const verify = (token: string, resolver: KeyResolver, now = NOW) =>
  verifyAccessToken(token, { resolver, issuer: ISSUER, audience: AUDIENCE, now });

const nowSeconds = NOW.getTime() / 1000;
const goodPayload = () => ({
  ...staffClaims,
  iss: ISSUER,
  aud: AUDIENCE,
  iat: nowSeconds,
  exp: nowSeconds + 900,
  jti: 'j'.repeat(22),
});

/** Signs any header with any key, bypassing signAccessToken's own checks. */
function signRaw(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  key: TestKey,
): Promise<string> {
  const crit = Array.isArray(header.crit)
    ? Object.fromEntries(header.crit.map((name: string) => [name, true]))
    : undefined;
  return new CompactSign(Buffer.from(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'EdDSA', ...header })
    .sign(key.privateKey, crit === undefined ? undefined : { crit });
}

const legitHeader = () => ({ alg: 'EdDSA', typ: 'at+jwt', kid: legit.kid });

interface HostileCase {
  readonly name: string;
  readonly reason: AuthFailure;
  /** Refused from the header alone, before any key is resolved. */
  readonly structural: boolean;
  readonly token: () => Promise<string>;
  readonly now?: Date;
}

const cases: HostileCase[] = [
  {
    name: 'a payload tampered after signing',
    reason: 'signature_invalid',
    structural: false,
    token: async () => {
      const [h, , s] = valid.split('.');
      return `${h}.${b64url({ ...goodPayload(), roles: ['system_admin'] })}.${s}`;
    },
  },
  {
    name: 'a signature tampered with',
    reason: 'signature_invalid',
    structural: false,
    token: async () => {
      const [h, p, s = ''] = valid.split('.');
      return `${h}.${p}.${s.startsWith('A') ? 'B' : 'A'}${s.slice(1)}`;
    },
  },
  {
    name: "another key signing under the platform key's kid",
    reason: 'signature_invalid',
    structural: false,
    token: () => signRaw(legitHeader(), goodPayload(), attacker),
  },
  {
    name: 'alg none with an empty signature',
    reason: 'malformed',
    structural: true,
    token: async () => `${b64url({ ...legitHeader(), alg: 'none' })}.${b64url(goodPayload())}.`,
  },
  {
    name: 'alg none with a signature',
    reason: 'header_rejected',
    structural: true,
    token: async () =>
      `${b64url({ ...legitHeader(), alg: 'none' })}.${b64url(goodPayload())}.${b64url('sig')}`,
  },
  {
    name: 'HS256 keyed with the public key bytes',
    reason: 'header_rejected',
    structural: true,
    token: () =>
      new SignJWT(goodPayload())
        .setProtectedHeader({ ...legitHeader(), alg: 'HS256' })
        .sign(Buffer.from(legit.publicJwk.x ?? '', 'base64url')),
  },
  {
    name: 'an embedded jwk',
    reason: 'header_rejected',
    structural: true,
    token: () =>
      signRaw({ ...legitHeader(), jwk: attacker.publicJwk as JWK }, goodPayload(), attacker),
  },
  {
    name: 'a jku pointing at a key set',
    reason: 'header_rejected',
    structural: true,
    token: () => signRaw({ ...legitHeader(), jku: server.url }, goodPayload(), attacker),
  },
  {
    name: 'an x5u',
    reason: 'header_rejected',
    structural: true,
    token: () => signRaw({ ...legitHeader(), x5u: server.url }, goodPayload(), attacker),
  },
  {
    name: 'an x5c chain',
    reason: 'header_rejected',
    structural: true,
    token: () => signRaw({ ...legitHeader(), x5c: ['MIIB'] }, goodPayload(), attacker),
  },
  {
    name: 'a crit extension, even signed by the platform key',
    reason: 'header_rejected',
    structural: true,
    token: () => signRaw({ ...legitHeader(), crit: ['tb'], tb: 1 }, goodPayload(), legit),
  },
  {
    name: 'a presentation token (typ tb-presentation+jwt) signed by the platform key',
    reason: 'header_rejected',
    structural: true,
    token: () => signRaw({ ...legitHeader(), typ: 'tb-presentation+jwt' }, goodPayload(), legit),
  },
  {
    name: 'a plain JWT (typ JWT)',
    reason: 'header_rejected',
    structural: true,
    token: () => signRaw({ ...legitHeader(), typ: 'JWT' }, goodPayload(), legit),
  },
  {
    name: 'no typ at all',
    reason: 'header_rejected',
    structural: true,
    token: () => signRaw({ alg: 'EdDSA', kid: legit.kid }, goodPayload(), legit),
  },
  {
    name: 'no kid',
    reason: 'header_rejected',
    structural: true,
    token: () => signRaw({ alg: 'EdDSA', typ: 'at+jwt' }, goodPayload(), legit),
  },
  {
    name: 'a 10 KB kid',
    reason: 'malformed',
    structural: true,
    token: () => signRaw({ ...legitHeader(), kid: 'k'.repeat(10 * 1024) }, goodPayload(), legit),
  },
  {
    name: 'a 65-character kid',
    reason: 'header_rejected',
    structural: true,
    token: () => signRaw({ ...legitHeader(), kid: 'k'.repeat(65) }, goodPayload(), legit),
  },
  {
    name: 'a token expired more than 30 s ago',
    reason: 'expired',
    structural: false,
    token: () => sign(legit),
    now: new Date(NOW.getTime() + (900 + 31) * 1000),
  },
  {
    name: 'a token for another audience',
    reason: 'claims_invalid',
    structural: false,
    token: () => sign(legit, staffClaims, { audience: 'https://records.tongban.test' }),
  },
  {
    name: 'a token from another issuer',
    reason: 'claims_invalid',
    structural: false,
    token: () => sign(legit, staffClaims, { issuer: 'https://evil.example' }),
  },
  {
    name: 'a token without client_id',
    reason: 'claims_invalid',
    structural: false,
    token: () => {
      const { client_id: _, ...payload } = goodPayload();
      return signRaw(legitHeader(), payload, legit);
    },
  },
  {
    name: 'a resident claiming a staff role',
    reason: 'claims_invalid',
    structural: false,
    token: () =>
      signRaw(
        legitHeader(),
        { ...goodPayload(), ...residentClaims, roles: ['system_admin'] },
        legit,
      ),
  },
  {
    name: 'a staff token with an unknown role',
    reason: 'claims_invalid',
    structural: false,
    token: () => signRaw(legitHeader(), { ...goodPayload(), roles: ['root'] }, legit),
  },
];

describe('verifyAccessToken against hostile tokens', () => {
  it.each(cases)('refuses $name without fetching the JWKS again', async (c) => {
    const resolver = freshResolver();
    const before = server.requests;
    await expect(verify(valid, resolver)).resolves.toMatchObject({ subject: 'staff-0001' });
    expect(server.requests - before).toBe(1);

    await expect(verify(await c.token(), resolver, c.now)).rejects.toMatchObject({
      name: 'AuthError',
      code: 'unauthorized',
      status: 401,
      reason: c.reason,
    });
    expect(server.requests - before).toBe(1);
  });

  it.each(cases.filter((c) => c.structural))(
    'refuses $name from the header alone: a cold resolver fetches nothing',
    async (c) => {
      const before = server.requests;
      await expect(verify(await c.token(), freshResolver(), c.now)).rejects.toMatchObject({
        code: 'unauthorized',
        reason: c.reason,
      });
      expect(server.requests - before).toBe(0);
    },
  );

  it('refuses a token longer than 8 KB before looking at it', async () => {
    const before = server.requests;
    const long = `${valid}${'A'.repeat(8 * 1024)}`;
    await expect(verify(long, freshResolver())).rejects.toMatchObject({ reason: 'malformed' });
    expect(server.requests - before).toBe(0);
  });
});
