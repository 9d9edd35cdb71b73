import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { CompactSign, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CaseGrantCheck,
  grantCovers,
  verifyCaseGrant,
} from '../src/domain/case-grants/verify-case-grant.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { type CaseGrantKey, caseGrantKey, signCaseGrant } from './helpers/case-grant.js';
import { manualClock, readCallers } from './helpers/read-callers.js';
import { type ReadWorld, requestId, startReadWorld } from './helpers/read-world.js';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('verifyCaseGrant', () => {
  const clock = manualClock();
  let key: CaseGrantKey;
  let stranger: CaseGrantKey;
  const want = {
    caseId: 'C-1',
    subjectId: 'sub-1',
    department: 'civil_affairs',
    typeCode: 'birth_record',
  };
  const grant = (overrides: Partial<Parameters<typeof signCaseGrant>[0]> = {}) =>
    signCaseGrant({
      key,
      now: clock.now(),
      subjectId: want.subjectId,
      caseId: want.caseId,
      department: want.department,
      types: [want.typeCode, 'household_record'],
      ...overrides,
    });
  const verify = (token: string | undefined, at = clock.now()) =>
    verifyCaseGrant(token, { resolver: key.resolver, issuer: 'tb-workflow', now: at });
  const accepted = (check: CaseGrantCheck) =>
    check.status === 'verified' && grantCovers(check.grant, want);

  beforeAll(async () => {
    key = await caseGrantKey('workflow-1');
    stranger = await caseGrantKey('workflow-1');
  });

  it('accepts a grant made by signCaseGrant and reads its claims', async () => {
    const check = await verify(await grant());
    expect(check).toMatchObject({
      status: 'verified',
      grant: {
        subjectId: 'sub-1',
        caseId: 'C-1',
        department: 'civil_affairs',
        types: ['birth_record', 'household_record'],
      },
    });
    expect(accepted(check)).toBe(true);
  });

  it('says absent for no header', async () => {
    expect(await verify(undefined)).toEqual({ status: 'absent' });
    expect(await verify('')).toEqual({ status: 'absent' });
  });

  it('says expired once exp has passed by more than 30 s, not before', async () => {
    const token = await grant({ ttlSeconds: 60 });
    expect((await verify(token, new Date(clock.now().getTime() + 89_000))).status).toBe('verified');
    expect(await verify(token, new Date(clock.now().getTime() + 91_000))).toEqual({
      status: 'expired',
    });
  });

  it('does not cover another case, subject, department or type', async () => {
    const check = await verify(await grant());
    if (check.status !== 'verified') throw new Error('expected a verified grant');
    expect(grantCovers(check.grant, { ...want, caseId: 'C-2' })).toBe(false);
    expect(grantCovers(check.grant, { ...want, subjectId: 'sub-2' })).toBe(false);
    expect(grantCovers(check.grant, { ...want, department: 'health' })).toBe(false);
    expect(grantCovers(check.grant, { ...want, typeCode: 'business_licence' })).toBe(false);
  });

  it('refuses unknown keys, bad signatures and wrong issuer, audience, type or lifetime', async () => {
    const invalid = [
      await grant({ key: { ...stranger, kid: 'workflow-2' } }),
      // Same kid, another key: the signature does not verify.
      await grant({ key: stranger }),
      await grant({ issuer: 'tb-identity' }),
      await grant({ audience: 'tb-workflow' }),
      await grant({ header: { typ: 'JWT' } }),
      await grant({ header: { typ: 'at+jwt' } }),
      await grant({ ttlSeconds: 15 * 60 + 1 }),
      await grant({ claims: { iat: Math.floor(clock.now().getTime() / 1000) + 120 } }),
      await grant({ claims: { types: [] } }),
      await grant({ claims: { case: 'C 1' } }),
      await grant({ claims: { jti: undefined } }),
    ];
    for (const token of invalid) expect(await verify(token)).toEqual({ status: 'invalid' });
  });

  it('refuses embedded keys and key URLs, alg none and HMAC without looking a key up', async () => {
    const lookups: string[] = [];
    const counting = {
      resolve: async (kid: string) => {
        lookups.push(kid);
        return key.resolver.resolve(kid);
      },
    };
    const publicJwk = key.jwks.keys[0];
    const now = Math.floor(clock.now().getTime() / 1000);
    const claims = {
      iss: 'tb-workflow',
      aud: 'tb-records',
      sub: 'sub-1',
      case: 'C-1',
      dept: 'civil_affairs',
      types: ['birth_record'],
      iat: now,
      exp: now + 60,
      jti: 'grant-0123456789abcdef',
    };
    // Signed by hand, so headers jose itself would refuse to produce are still correctly signed.
    const signed = async (header: Record<string, unknown>) => {
      const input = `${b64({ alg: 'EdDSA', typ: 'tb-case-grant+jwt', kid: key.kid, ...header })}.${b64(claims)}`;
      const signature = await crypto.subtle.sign(
        'Ed25519',
        key.privateKey,
        new TextEncoder().encode(input),
      );
      return `${input}.${Buffer.from(signature).toString('base64url')}`;
    };
    // The hand-made signature is sound: with nothing added to the header the grant is accepted.
    expect(accepted(await verify(await signed({})))).toBe(true);
    const hmac = new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader({ alg: 'HS256', typ: 'tb-case-grant+jwt', kid: key.kid })
      .sign(new TextEncoder().encode('a shared secret anyone could guess'));
    const refused = [
      await signed({ jwk: publicJwk }),
      await signed({ jku: 'https://attacker.example/jwks.json' }),
      await signed({ x5u: 'https://attacker.example/cert.pem' }),
      await signed({ x5c: ['MIIB'] }),
      await signed({ crit: ['exp'], exp: 1 }),
      await signed({ b64: false, crit: ['b64'] }),
      await signed({ kid: 'k'.repeat(65) }),
      `${b64({ alg: 'none', typ: 'tb-case-grant+jwt', kid: key.kid })}.${b64(claims)}.`,
      `${b64({ alg: 'none', typ: 'tb-case-grant+jwt', kid: key.kid })}.${b64(claims)}.AA`,
      await hmac,
      'not-a-jws',
      'a.b',
      'a.b.c.d',
      `${'A'.repeat(9000)}.e30.AA`,
    ];
    for (const token of refused) {
      expect(
        await verifyCaseGrant(token, {
          resolver: counting,
          issuer: 'tb-workflow',
          now: clock.now(),
        }),
      ).toEqual({ status: 'invalid' });
    }
    expect(lookups).toEqual([]);
  });

  it('never accepts a mutated grant (fast-check): any change to the text is refused unless it is no change', async () => {
    const token = await grant();
    const mutation = fc.oneof(
      // Replace one character by any character of the base64url alphabet or a separator.
      fc.record({
        kind: fc.constant('replace' as const),
        at: fc.nat({ max: token.length - 1 }),
        by: fc.constantFrom(
          ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.='.split(''),
        ),
      }),
      fc.record({
        kind: fc.constant('insert' as const),
        at: fc.nat({ max: token.length }),
        by: fc.string({ minLength: 1, maxLength: 3 }),
      }),
      fc.record({
        kind: fc.constant('delete' as const),
        at: fc.nat({ max: token.length - 1 }),
        by: fc.constant(''),
      }),
      fc.record({
        kind: fc.constant('truncate' as const),
        at: fc.nat({ max: token.length - 1 }),
        by: fc.constant(''),
      }),
    );
    const apply = (m: { kind: string; at: number; by: string }) => {
      switch (m.kind) {
        case 'replace':
          return token.slice(0, m.at) + m.by + token.slice(m.at + 1);
        case 'insert':
          return token.slice(0, m.at) + m.by + token.slice(m.at);
        case 'delete':
          return token.slice(0, m.at) + token.slice(m.at + 1);
        default:
          return token.slice(0, m.at);
      }
    };
    await fc.assert(
      fc.asyncProperty(mutation, async (m) => {
        const mutated = apply(m);
        const check = await verify(mutated);
        expect(accepted(check)).toBe(mutated === token);
      }),
      { numRuns: 300 },
    );
  });

  it('never accepts a grant whose claims were changed and re-signed by another key (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          subjectId: fc.constantFrom('sub-1', 'sub-2'),
          caseId: fc.constantFrom('C-1', 'C-2'),
          department: fc.constantFrom('civil_affairs', 'health'),
          types: fc.constantFrom(['birth_record'], ['business_licence']),
          signer: fc.constantFrom('workflow', 'stranger'),
        }),
        async (claims) => {
          const token = await signCaseGrant({
            key: claims.signer === 'workflow' ? key : stranger,
            now: clock.now(),
            ...claims,
          });
          const untouched =
            claims.signer === 'workflow' &&
            claims.subjectId === want.subjectId &&
            claims.caseId === want.caseId &&
            claims.department === want.department &&
            (claims.types as readonly string[]).includes(want.typeCode);
          expect(accepted(await verify(token))).toBe(untouched);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('case-bound reads: GET /v1/records/{id}?purpose=case:<id> (acceptance 2)', () => {
  let w: ReadWorld;
  let recordId: string;
  const subjectId = 'SubCase000000001';

  beforeAll(async () => {
    w = await startReadWorld();
    await w.createRecordType('health', 'birth_record', ['childName', 'birthDate']);
    await w.createPolicy('health', {
      readerDepartment: 'civil_affairs',
      recordType: 'birth_record',
      purpose: 'case',
      fields: ['childName'],
      consentRequired: false,
    });
    ({ id: recordId } = await w.publishRecord({
      issuer: 'health',
      type: 'birth_record',
      subjectId,
      versions: [{ childName: 'Xiaoming-case', birthDate: '2030-01-01' }],
    }));
  });
  afterAll(() => w.close());

  const read = async (grant: string | undefined, caseId = 'C-7') => {
    const id = requestId();
    const token = await w.callers.client('civil_affairs', ['records:read']);
    const res = await w.t.app.inject({
      method: 'GET',
      url: `/v1/records/${recordId}?purpose=case:${caseId}`,
      headers: {
        authorization: `Bearer ${token}`,
        'x-request-id': id,
        ...(grant === undefined ? {} : { 'case-grant': grant }),
      },
    });
    return { res, entries: await w.entriesOf(id) };
  };

  const grant = (overrides: Partial<Parameters<typeof signCaseGrant>[0]> = {}) =>
    signCaseGrant({
      key: w.grantKey,
      now: w.clock.now(),
      subjectId,
      caseId: 'C-7',
      department: 'civil_affairs',
      types: ['birth_record'],
      ...overrides,
    });

  const refusedWith = async (
    result: Awaited<ReturnType<typeof read>>,
    code: string,
  ): Promise<void> => {
    expect(result.res.statusCode).toBe(403);
    expect(result.res.json()).toMatchObject({ code });
    expect(result.res.body).not.toContain('Xiaoming-case');
    expect(result.entries).toMatchObject([
      { outcome: 'denied', denialCode: code, caseId: 'C-7', recordId, fields: [] },
    ]);
  };

  it('releases the case policy’s fields with a valid grant', async () => {
    const { res, entries } = await read(await grant());
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ data: { childName: 'Xiaoming-case' } });
    expect(res.json().data).not.toHaveProperty('birthDate');
    expect(entries).toMatchObject([{ outcome: 'released', caseId: 'C-7', purpose: 'case:C-7' }]);
  });

  it('refuses a read without a grant: case_grant_required', async () => {
    await refusedWith(await read(undefined), 'case_grant_required');
    await refusedWith(await read(''), 'case_grant_required');
  });

  it('refuses an expired grant: case_grant_expired', async () => {
    const expired = await grant({ now: new Date(w.clock.now().getTime() - 10 * 60_000) });
    await refusedWith(await read(expired), 'case_grant_expired');
  });

  it('refuses a grant for another case: case_grant_invalid', async () => {
    await refusedWith(await read(await grant({ caseId: 'C-8' })), 'case_grant_invalid');
  });

  it('refuses a grant for another department: case_grant_invalid', async () => {
    await refusedWith(await read(await grant({ department: 'health' })), 'case_grant_invalid');
  });

  it('refuses a grant for another subject or another record type: case_grant_invalid', async () => {
    await refusedWith(await read(await grant({ subjectId: 'sub-other' })), 'case_grant_invalid');
    await refusedWith(
      await read(await grant({ types: ['household_record'] })),
      'case_grant_invalid',
    );
  });

  it('refuses a grant signed by an unknown key: case_grant_invalid', async () => {
    const unknown = await caseGrantKey('not-workflows-key');
    await refusedWith(await read(await grant({ key: unknown })), 'case_grant_invalid');
  });

  it('refuses a malformed grant: case_grant_invalid', async () => {
    await refusedWith(await read('this is not a grant'), 'case_grant_invalid');
  });
});

describe('case grants checked against workflow’s JWKS over HTTP (WORKFLOW_JWKS_URL)', () => {
  let jwksServer: Server;
  let fetches = 0;
  let t: TestApp;
  let key: CaseGrantKey;
  let readerToken: string;
  const clock = manualClock();
  const SUBJECT = 'SubHttp000000001';

  beforeAll(async () => {
    key = await caseGrantKey('workflow-http');
    jwksServer = createServer((_req, res) => {
      fetches++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(key.jwks));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    const { port } = jwksServer.address() as AddressInfo;
    const callers = await readCallers(clock.now);
    t = await startTestApp(
      {
        WORKFLOW_JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json`,
        CASE_GRANT_ISSUER: 'tb-workflow-test',
      },
      { keyResolver: callers.keyResolver, clock: clock.now },
    );
    await t.app.inject({
      method: 'POST',
      url: '/v1/record-types',
      headers: {
        authorization: `Bearer ${await callers.staff('health', ['department_admin'])}`,
      },
      payload: {
        code: 'birth_record',
        name: { zh: '出生医学证明', en: 'Birth record' },
        fieldSchema: { type: 'object', properties: { childName: { type: 'string' } } },
        classification: { childName: 'personal' },
      },
    });
    await t.app.inject({
      method: 'POST',
      url: '/v1/policies',
      headers: {
        authorization: `Bearer ${await callers.staff('health', ['department_admin'])}`,
      },
      payload: {
        readerDepartment: 'civil_affairs',
        recordType: 'birth_record',
        purpose: 'case',
        fields: ['childName'],
        consentRequired: false,
      },
    });
    const published = await t.app.inject({
      method: 'POST',
      url: '/v1/records',
      headers: {
        authorization: `Bearer ${await callers.client('health', ['records:write'])}`,
      },
      payload: { type: 'birth_record', subjectId: SUBJECT, data: { childName: 'Over-HTTP' } },
    });
    expect(published.statusCode).toBe(201);
    readerToken = await callers.client('civil_affairs', ['records:read']);
  });
  afterAll(async () => {
    await t.close();
    await new Promise((resolve) => jwksServer.close(resolve));
  });

  it('verifies grants with the key workflow publishes and the configured issuer', async () => {
    const list = (grant: string) =>
      t.app.inject({
        method: 'GET',
        url: `/v1/records?subjectId=${SUBJECT}&type=birth_record&purpose=case:C-9`,
        headers: { authorization: `Bearer ${readerToken}`, 'case-grant': grant },
      });
    const claims = {
      key,
      now: clock.now(),
      subjectId: SUBJECT,
      caseId: 'C-9',
      department: 'civil_affairs',
      types: ['birth_record'],
    };
    const ok = await list(await signCaseGrant({ ...claims, issuer: 'tb-workflow-test' }));
    expect(ok.statusCode).toBe(200);
    expect(ok.json().items[0].data).toEqual({ childName: 'Over-HTTP' });
    const wrongIssuer = await list(await signCaseGrant(claims));
    expect(wrongIssuer.statusCode).toBe(403);
    expect(wrongIssuer.json()).toMatchObject({ code: 'case_grant_invalid' });
    expect(fetches).toBe(1);
  });

  it('refuses a grant signed with an alg the JWKS key is not for', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await signCaseGrant({
      key: { kid: key.kid, privateKey },
      header: { alg: 'ES256' },
      now: clock.now(),
      subjectId: SUBJECT,
      caseId: 'C-9',
      department: 'civil_affairs',
      types: ['birth_record'],
      issuer: 'tb-workflow-test',
    });
    const res = await t.app.inject({
      method: 'GET',
      url: `/v1/records?subjectId=${SUBJECT}&type=birth_record&purpose=case:C-9`,
      headers: { authorization: `Bearer ${readerToken}`, 'case-grant': forged },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'case_grant_invalid' });
  });
});
