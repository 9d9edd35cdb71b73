import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { base64url, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  issuePresentationToken,
  isTokenError,
  MAX_STATUS_INDEX,
  type TokenErrorCode,
  verifyPresentationToken,
} from '../src/index.js';
import {
  b64json,
  fixedResolver,
  type IssuerKey,
  makeDeviceKeyId,
  makeIssuerKey,
  makeSubject,
  signRaw,
} from './helpers/keys.js';

const NOW = new Date('2026-03-02T09:30:00.000Z');
const IAT = NOW.getTime() / 1000;

let issuer: IssuerKey;
let attacker: IssuerKey;
let device: string;
let genuine: string;
/** Counts key lookups, so a test can prove a hostile header never reached one. */
let lookups: string[];

beforeAll(async () => {
  issuer = await makeIssuerKey();
  attacker = await makeIssuerKey();
  device = await makeDeviceKeyId();
  ({ token: genuine } = await issuePresentationToken({
    key: issuer.privateKey,
    kid: issuer.kid,
    issuer: 'tb',
    subject: makeSubject(),
    statusIndex: 123_456,
    deviceKeyId: device,
    now: NOW,
  }));
});

function verify(token: string) {
  lookups = [];
  return verifyPresentationToken(token, {
    resolver: {
      resolve: async (kid) => {
        lookups.push(kid);
        return kid === issuer.kid ? issuer.publicKey : undefined;
      },
    },
    issuer: 'tb',
    now: NOW,
  });
}

async function codeOf(token: string): Promise<TokenErrorCode | 'accepted'> {
  try {
    await verify(token);
    return 'accepted';
  } catch (error) {
    if (!isTokenError(error)) throw error;
    return error.code;
  }
}

function claims(overrides: Record<string, unknown> = {}) {
  return {
    iss: 'tb',
    sub: makeSubject(),
    jti: makeSubject(),
    iat: IAT,
    exp: IAT + 60,
    sl: 1,
    cnf: { kid: device },
    ...overrides,
  };
}

function header(overrides: Record<string, unknown> = {}) {
  return { alg: 'EdDSA', typ: 'tb-presentation+jwt', kid: issuer.kid, ...overrides };
}

function sign(key: IssuerKey, head: Record<string, unknown>, body: Record<string, unknown>) {
  return signRaw(key.privateKey, head, body);
}

describe('verifyPresentationToken against hostile input', () => {
  it('accepts the genuine token (control)', async () => {
    await expect(codeOf(genuine)).resolves.toBe('accepted');
  });

  it('refuses a tampered payload with signature_invalid', async () => {
    const [h, , s] = genuine.split('.');
    const tampered = `${h}.${b64json(claims({ sl: 999 }))}.${s}`;
    await expect(codeOf(tampered)).resolves.toBe('signature_invalid');
  });

  it('refuses a token re-signed with another key under our kid with signature_invalid', async () => {
    await expect(codeOf(await sign(attacker, header(), claims()))).resolves.toBe(
      'signature_invalid',
    );
  });

  it('refuses a token re-signed with another key under its own kid with unknown_key', async () => {
    await expect(
      codeOf(await sign(attacker, header({ kid: attacker.kid }), claims())),
    ).resolves.toBe('unknown_key');
  });

  it('refuses alg "none" with signature_invalid, before any key lookup', async () => {
    const unsecured = `${b64json(header({ alg: 'none' }))}.${b64json(claims())}.`;
    await expect(codeOf(unsecured)).resolves.toBe('signature_invalid');
    expect(lookups).toStrictEqual([]);
  });

  it('refuses HS256 keyed with the public key bytes with signature_invalid', async () => {
    // The classic confusion attack: the verifier's public key used as an HMAC secret.
    const secret = base64url.decode(String(issuer.publicJwk.x));
    const forged = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'HS256', typ: 'tb-presentation+jwt', kid: issuer.kid })
      .sign(secret);
    await expect(codeOf(forged)).resolves.toBe('signature_invalid');
    expect(lookups).toStrictEqual([]);
  });

  it.each([
    ['jwk', { jwk: { kty: 'OKP', crv: 'Ed25519', x: 'AAAA' } }],
    ['jku', { jku: 'https://attacker.example/jwks.json' }],
    ['x5u', { x5u: 'https://attacker.example/cert.pem' }],
    ['x5c', { x5c: ['MIIB'] }],
    ['crit', { crit: ['exp'] }],
    ['an unknown member', { zip: 'DEF' }],
  ])(
    'refuses a header carrying %s with signature_invalid, before any key lookup',
    async (_, extra) => {
      const forged = await sign(attacker, header(extra), claims());
      await expect(codeOf(forged)).resolves.toBe('signature_invalid');
      expect(lookups).toStrictEqual([]);
    },
  );

  it.each(['at+jwt', 'JWT', 'statuslist+jwt', 'application/tb-presentation+jwt'])(
    'refuses typ %s with signature_invalid',
    async (typ) => {
      await expect(codeOf(await sign(issuer, header({ typ }), claims()))).resolves.toBe(
        'signature_invalid',
      );
      expect(lookups).toStrictEqual([]);
    },
  );

  it('refuses a missing typ with signature_invalid', async () => {
    const { typ: _, ...rest } = header();
    await expect(codeOf(await sign(issuer, rest, claims()))).resolves.toBe('signature_invalid');
  });

  it('refuses a 10 KB kid with malformed_token, before any key lookup', async () => {
    const forged = await sign(issuer, header({ kid: 'k'.repeat(10_240) }), claims());
    await expect(codeOf(forged)).resolves.toBe('malformed_token');
    expect(lookups).toStrictEqual([]);
  });

  it('refuses a 65-character kid with malformed_token', async () => {
    const forged = await sign(issuer, header({ kid: 'k'.repeat(65) }), claims());
    expect(forged.length).toBeLessThan(2048);
    await expect(codeOf(forged)).resolves.toBe('malformed_token');
    expect(lookups).toStrictEqual([]);
  });

  it('refuses a token over 2 KB with malformed_token', async () => {
    const forged = await sign(issuer, header(), claims({ pad: 'x'.repeat(2048) }));
    await expect(codeOf(forged)).resolves.toBe('malformed_token');
  });

  it.each([
    ['random bytes', () => randomBytes(300).toString('latin1')],
    ['random base64url', () => randomBytes(300).toString('base64url')],
    ['an empty string', () => ''],
    ['two parts', () => genuine.split('.').slice(0, 2).join('.')],
    ['four parts', () => `${genuine}.AAAA`],
    ['a non-JSON header', () => `${Buffer.from('not json').toString('base64url')}.e30.AAAA`],
    ['a JSON array header', () => `${b64json([1])}.${b64json(claims())}.AAAA`],
    [
      'invalid UTF-8 in the header',
      () => `${Buffer.from([0xff, 0xfe]).toString('base64url')}.e30.AAAA`,
    ],
    ['padding characters', () => `${genuine.split('.')[0]}=.e30.AAAA`],
  ])('refuses %s with malformed_token', async (_, make) => {
    await expect(codeOf(make())).resolves.toBe('malformed_token');
    expect(lookups).toStrictEqual([]);
  });

  it.each([
    ['no sub', { sub: undefined }],
    ['a numeric sub', { sub: 12 }],
    ['a short jti', { jti: 'abc' }],
    ['a string iat', { iat: String(IAT) }],
    ['a fractional exp', { exp: IAT + 59.5 }],
    ['a negative sl', { sl: -1 }],
    ['a string sl', { sl: '7' }],
    ['no cnf', { cnf: undefined }],
    ['a cnf without kid', { cnf: { jkt: 'x' } }],
    ['exp before iat', { exp: IAT - 1 }],
    ['a lifetime over 60 s', { exp: IAT + 61 }],
  ])('refuses a genuinely signed token with %s as malformed_token', async (_, overrides) => {
    await expect(codeOf(await sign(issuer, header(), claims(overrides)))).resolves.toBe(
      'malformed_token',
    );
    expect(lookups).toStrictEqual([]);
  });

  it('refuses a token from another issuer id before any key lookup', async () => {
    await expect(codeOf(await sign(issuer, header(), claims({ iss: 'evil' })))).resolves.toBe(
      'signature_invalid',
    );
    expect(lookups).toStrictEqual([]);
  });
});

describe('verifyPresentationToken never throws anything but TokenError', () => {
  let reachedLookup = 0;
  async function onlyTokenErrors(token: string): Promise<boolean> {
    try {
      await verify(token);
      return true;
    } catch (error) {
      return isTokenError(error);
    } finally {
      if (lookups.length > 0) reachedLookup++;
    }
  }

  it('for arbitrary strings', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string(), fc.string({ unit: 'binary', maxLength: 3000 }), fc.base64String()),
        onlyTokenErrors,
      ),
      { numRuns: 10_000 },
    );
  });

  const segment = fc.oneof(
    fc.string({
      unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'),
    }),
    fc.jsonValue().map(b64json),
    fc.string().map((s) => Buffer.from(s).toString('base64url')),
  );
  /** Mostly the expected value, so that many inputs get past the cheap checks. */
  const mostly = <T>(expected: T, ...others: fc.Arbitrary<unknown>[]) =>
    fc.oneof({ arbitrary: fc.constant(expected), weight: 40 }, ...others);
  const headerValue = fc
    .record(
      {
        alg: mostly('EdDSA', fc.constantFrom('none', 'HS256', 'ES256', 'Ed25519', 'eddsa')),
        typ: mostly('tb-presentation+jwt', fc.constantFrom('at+jwt', 'JWT', '')),
        kid: mostly('KID', fc.string({ maxLength: 80 }), fc.integer()),
        extra: fc.oneof(
          { arbitrary: fc.constant<Record<string, unknown>>({}), weight: 40 },
          fc.record(
            { jwk: fc.jsonValue(), crit: fc.array(fc.string()), b64: fc.boolean() },
            { requiredKeys: [] },
          ),
        ),
      },
      { requiredKeys: ['alg', 'typ', 'kid', 'extra'] },
    )
    .map(({ extra, kid, ...rest }) => ({
      ...rest,
      kid: kid === 'KID' ? issuer.kid : kid,
      ...extra,
    }));
  // `undefined` drops the claim from the JSON: a missing claim is one more way to be wrong.
  const claimValue = fc.record({
    iss: mostly('tb', fc.jsonValue(), fc.constant(undefined)),
    sub: mostly('AAAAAAAAAAAAAAAA', fc.jsonValue(), fc.constant(undefined)),
    jti: mostly('BBBBBBBBBBBBBBBB', fc.jsonValue(), fc.constant(undefined)),
    iat: mostly(IAT, fc.jsonValue(), fc.double(), fc.constant(undefined)),
    exp: mostly(IAT + 60, fc.jsonValue(), fc.integer(), fc.constant(undefined)),
    sl: mostly(7, fc.nat(), fc.jsonValue(), fc.double(), fc.constant(undefined)),
    cnf: mostly({ kid: 'CCCCCCCCCCC' }, fc.jsonValue(), fc.constant(undefined)),
  });

  it('for structurally plausible JWS-like strings', async () => {
    const jwsLike = fc.oneof(
      fc.tuple(segment, segment, segment).map((parts) => parts.join('.')),
      fc
        .tuple(headerValue, claimValue, segment)
        .map(([h, c, s]) => `${b64json(h)}.${b64json(c)}.${s}`),
      // The genuine token with one character replaced, inserted or deleted.
      fc
        .tuple(
          fc.nat({ max: genuine.length - 1 }),
          fc.constantFrom('A', '.', '_', '=', '%', 'é'),
          fc.constantFrom('replace', 'insert', 'delete'),
        )
        .map(([at, char, how]) => {
          const keep = how === 'insert' ? at : at + 1;
          return genuine.slice(0, at) + (how === 'delete' ? '' : char) + genuine.slice(keep);
        }),
    );
    reachedLookup = 0;
    await fc.assert(fc.asyncProperty(jwsLike, onlyTokenErrors), { numRuns: 10_000 });
    // The generator is only worth its runs if many inputs get as far as the signature check.
    expect(reachedLookup).toBeGreaterThan(500);
  });

  it('for non-string input smuggled past the types', async () => {
    for (const value of [undefined, null, 42, {}, [], new Uint8Array(3)]) {
      await expect(onlyTokenErrors(value as unknown as string)).resolves.toBe(true);
    }
  });
});

describe('verifyPresentationToken clock window', () => {
  it('accepts iff iat − 30 ≤ now ≤ exp + 30 (milliseconds)', async () => {
    const base = Date.UTC(2026, 2, 2, 9, 0, 0);
    const issueAt = fc.integer({ min: 0, max: 86_400_000 }).map((ms) => base + ms);
    // Half the verify times land within two seconds of a boundary, where mistakes live.
    const verifyOffset = fc.oneof(
      fc.integer({ min: -120_000, max: 180_000 }),
      fc.integer({ min: -32_000, max: -28_000 }),
      fc.integer({ min: 88_000, max: 92_000 }),
    );
    await fc.assert(
      fc.asyncProperty(issueAt, verifyOffset, async (issuedMs, offset) => {
        const { token } = await issuePresentationToken({
          key: issuer.privateKey,
          kid: issuer.kid,
          issuer: 'tb',
          subject: 'AAAAAAAAAAAAAAAA',
          statusIndex: 1,
          deviceKeyId: device,
          now: new Date(issuedMs),
        });
        const iat = Math.floor(issuedMs / 1000);
        const exp = iat + 60;
        const nowMs = iat * 1000 + offset;
        const expected =
          nowMs < (iat - 30) * 1000
            ? 'presentation_not_yet_valid'
            : nowMs > (exp + 30) * 1000
              ? 'presentation_expired'
              : 'accepted';
        let actual: string;
        try {
          await verifyPresentationToken(token, {
            resolver: fixedResolver(issuer.publicKey),
            issuer: 'tb',
            now: new Date(nowMs),
          });
          actual = 'accepted';
        } catch (error) {
          actual = isTokenError(error) ? error.code : 'crash';
        }
        expect(actual).toBe(expected);
      }),
      { numRuns: 1_000 },
    );
  });
});

describe('verifyPresentationToken bounds every claim it reads, signed or not', () => {
  // Each of these is signed with the real key, so only the parse-time bounds can refuse it: an
  // out-of-range value that verified would reach the database and the clock arithmetic.
  const cases: [string, Record<string, unknown>][] = [
    ['sl = 2^31', { sl: 2 ** 31 }],
    ['sl = 2^53 − 1', { sl: Number.MAX_SAFE_INTEGER }],
    ['sl negative', { sl: -1 }],
    ['sl fractional', { sl: 1.5 }],
    ['sl as a string', { sl: '1' }],
    ['iat past year 9999', { iat: 253_402_300_800, exp: 253_402_300_860 }],
    ['exp past year 9999', { exp: 2 ** 52 }],
    ['iat negative', { iat: -60, exp: 0 }],
    ['jti of 10k characters', { jti: 'A'.repeat(10_000) }],
    ['jti with U+0000', { jti: 'AAAAAAAAAAAAAAA\u0000' }],
    ['sub with a bidi override', { sub: 'AAAAAAAAAAAAAA\u202E' }],
    ['sub of 17 characters', { sub: 'A'.repeat(17) }],
    ['cnf.kid of 12 characters', { cnf: { kid: 'A'.repeat(12) } }],
    ['cnf.kid with U+0000', { cnf: { kid: 'AAAAAAAAAA\u0000' } }],
    ['cnf as an array', { cnf: ['AAAAAAAAAAA'] }],
  ];
  for (const [name, overrides] of cases) {
    it(`refuses ${name} with malformed_token`, async () => {
      expect(await codeOf(await sign(issuer, header(), claims(overrides)))).toBe('malformed_token');
    });
  }

  it('accepts the largest status index, 2^31 − 1 (control)', async () => {
    expect(MAX_STATUS_INDEX).toBe(2 ** 31 - 1);
    expect(await codeOf(await sign(issuer, header(), claims({ sl: MAX_STATUS_INDEX })))).toBe(
      'accepted',
    );
  });

  it('refuses an issuer id with control characters before any key lookup', async () => {
    const token = await sign(issuer, header(), claims({ iss: 'tb\u0000' }));
    expect(await codeOf(token)).toBe('malformed_token');
    expect(lookups).toEqual([]);
  });

  it('will not issue a status index past 2^31 − 1', async () => {
    await expect(
      issuePresentationToken({
        key: issuer.privateKey,
        kid: issuer.kid,
        issuer: 'tb',
        subject: makeSubject(),
        statusIndex: 2 ** 31,
        deviceKeyId: device,
        now: NOW,
      }),
    ).rejects.toMatchObject({ code: 'validation_failed' });
  });

  it('never accepts a signed token whose sl is outside 0..2^31 − 1 (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.integer({ min: 2 ** 31, max: Number.MAX_SAFE_INTEGER }),
          fc.integer({ min: Number.MIN_SAFE_INTEGER, max: -1 }),
          fc.double({ noInteger: true }),
        ),
        async (sl) => {
          expect(await codeOf(await sign(issuer, header(), claims({ sl })))).toBe(
            'malformed_token',
          );
        },
      ),
      { numRuns: 50 },
    );
  });
});
