import fc from 'fast-check';
import { base64url } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  isTokenError,
  RECORD_CERTIFICATE_TYP,
  type RecordCertificateClaims,
  type TokenErrorCode,
  verifyRecordCertificate,
} from '../src/index.js';
import { b64json, type IssuerKey, makeIssuerKey, resolverFor, signRaw } from './helpers/keys.js';

const NOW = new Date('2030-03-02T09:30:00.000Z');
const IAT = NOW.getTime() / 1000;

let records: IssuerKey;
let stranger: IssuerKey;

beforeAll(async () => {
  records = await makeIssuerKey();
  stranger = await makeIssuerKey();
});

const RECORD = {
  id: '0190c6f0-6c3a-7cc2-a6f5-0d1c5fb1f0e2',
  type: 'birth_record',
  version: 2,
  digest: 'n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg',
};

const claims = (overrides: Partial<Record<keyof RecordCertificateClaims, unknown>> = {}) => ({
  iss: 'tb-records',
  sub: 'KxY3mQ0aZb9vT2sL',
  jti: '0190c6f0-6c3a-7cc2-a6f5-0d1c5fb1f0e1',
  iat: IAT,
  exp: IAT + 86_400,
  record: RECORD,
  fields: { childName: '王小明', birthDate: '2030-01-02' },
  issuer_department: 'health',
  recipient_department: 'civil_affairs',
  purpose: 'newborn_registration',
  ...overrides,
});

const header = (overrides: Record<string, unknown> = {}) => ({
  alg: 'EdDSA',
  typ: RECORD_CERTIFICATE_TYP,
  kid: records.kid,
  ...overrides,
});

const sign = (payload: Record<string, unknown>, head = header(), key = records) =>
  signRaw(key.privateKey, head, payload);

const verify = (jws: string, now = NOW) =>
  verifyRecordCertificate(jws, { resolver: resolverFor(records), now });

async function refusal(promise: Promise<unknown>): Promise<TokenErrorCode> {
  try {
    await promise;
  } catch (error) {
    if (isTokenError(error)) return error.code;
    throw error;
  }
  throw new Error('the certificate was accepted');
}

describe('verifyRecordCertificate', () => {
  it('returns the claims of a certificate records signed, by resolver or by JWKS', async () => {
    const jws = await sign(claims());
    const { header: h, claims: c } = await verify(jws);
    expect(h).toEqual({ alg: 'EdDSA', typ: 'tb-record+jwt', kid: records.kid });
    expect(c).toEqual(claims());
    const byJwks = await verifyRecordCertificate(jws, {
      jwks: { keys: [records.publicJwk] },
      now: NOW,
    });
    expect(byJwks.claims.record.id).toBe(RECORD.id);
  });

  it('accepts a case-bound certificate whose purpose and case name the same case', async () => {
    const jws = await sign(claims({ purpose: 'case:C-2030-0001', case: 'C-2030-0001' }));
    expect((await verify(jws)).claims.case).toBe('C-2030-0001');
    expect(await refusal(verify(await sign(claims({ purpose: 'case:C-1', case: 'C-2' }))))).toBe(
      'malformed_token',
    );
    expect(await refusal(verify(await sign(claims({ purpose: 'case:C-1' }))))).toBe(
      'malformed_token',
    );
    expect(await refusal(verify(await sign(claims({ case: 'C-1' }))))).toBe('malformed_token');
  });

  it('allows 30 s of clock skew at both ends, and not a second more', async () => {
    const jws = await sign(claims());
    const at = (seconds: number) => new Date((IAT + seconds) * 1000);
    await verify(jws, at(86_400 + 30));
    expect(await refusal(verify(jws, at(86_400 + 31)))).toBe('certificate_expired');
    await verify(jws, at(-30));
    expect(await refusal(verify(jws, at(-31)))).toBe('certificate_not_yet_valid');
  });

  it('refuses a certificate without exp, or living longer than a day', async () => {
    const { exp: _exp, ...noExp } = claims();
    expect(await refusal(verify(await sign(noExp)))).toBe('malformed_token');
    expect(await refusal(verify(await sign(claims({ exp: IAT + 86_401 }))))).toBe(
      'malformed_token',
    );
    expect(await refusal(verify(await sign(claims({ exp: IAT }))))).toBe('malformed_token');
  });

  it('refuses claims that are not a certificate’s', async () => {
    for (const bad of [
      claims({ record: { ...RECORD, digest: 'not a digest' } }),
      claims({ record: { ...RECORD, version: 0 } }),
      claims({ fields: ['a'] }),
      claims({ issuer_department: 'Health' }),
      claims({ purpose: 'case' + ':' }),
      claims({ jti: 'short' }),
      { ...claims(), issuerDepartment: 'health' },
    ]) {
      expect(await refusal(verify(await sign(bad))), JSON.stringify(bad)).toBe('malformed_token');
    }
  });

  it('refuses another issuer, another typ, alg none, HMAC and embedded keys', async () => {
    expect(await refusal(verify(await sign(claims({ iss: 'tb-workflow' }))))).toBe(
      'signature_invalid',
    );
    for (const h of [
      header({ typ: 'tb-log-head+jwt' }),
      header({ typ: 'JWT' }),
      header({ alg: 'HS256' }),
      header({ jwk: records.publicJwk }),
      header({ jku: 'https://evil.example/jwks' }),
      header({ x5u: 'https://evil.example/cert' }),
      header({ x5c: ['MIIB'] }),
      header({ crit: ['exp'] }),
    ]) {
      expect(await refusal(verify(await sign(claims(), h))), JSON.stringify(h)).toBe(
        'signature_invalid',
      );
    }
    const none = `${b64json({ alg: 'none', typ: RECORD_CERTIFICATE_TYP, kid: records.kid })}.${b64json(claims())}.`;
    expect(await refusal(verify(none))).toBe('signature_invalid');
  });

  it('refuses a key it does not know, and a known kid with a stranger’s signature', async () => {
    expect(
      await refusal(verify(await sign(claims(), header({ kid: stranger.kid }), stranger))),
    ).toBe('unknown_key');
    expect(await refusal(verify(await sign(claims(), header(), stranger)))).toBe(
      'signature_invalid',
    );
  });

  it('refuses garbage of any shape without throwing anything but a token error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 300 }), async (text) => {
        await refusal(verify(text));
      }),
      { numRuns: 200 },
    );
  });

  it('refuses every certificate whose claims were changed after signing (property)', async () => {
    const jws = await sign(claims());
    const [head, , signature] = jws.split('.') as [string, string, string];
    const original = claims();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          'sub',
          'jti',
          'iat',
          'exp',
          'record',
          'fields',
          'issuer_department',
          'recipient_department',
          'purpose',
        ),
        fc.jsonValue(),
        async (claim, value) => {
          fc.pre(
            JSON.stringify(original[claim as keyof typeof original]) !== JSON.stringify(value),
          );
          const edited = base64url.encode(JSON.stringify({ ...original, [claim]: value }));
          const code = await refusal(verify(`${head}.${edited}.${signature}`));
          expect(['signature_invalid', 'malformed_token']).toContain(code);
        },
      ),
      { numRuns: 150 },
    );
  });
});
