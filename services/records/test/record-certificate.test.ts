import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  isTokenError,
  RECORD_CERTIFICATE_TYP,
  type TokenErrorCode,
  verifyRecordCertificate,
} from '@tongban/tokens';
import canonicalize from 'canonicalize';
import { base64url, exportJWK, generateKeyPair, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  issueRecordCertificate,
  type RecordCertificateInput,
} from '../src/domain/certificates/issue-certificate.js';
import { startTestApp, type TestApp } from './helpers/app.js';

// One clock for the file: records' key store, the certificates, every verification and the CLI's
// --now all read it; tests move it by hand.
let now = Date.parse('2030-03-01T08:00:00Z');
const clock = () => new Date(now);
const DAY_S = 86_400;

const root = fileURLToPath(new URL('../../../', import.meta.url));

const data = { childName: '王小明', birthDate: '2030-01-02', birthWeightGrams: 3400 };
const digestOf = (value: unknown) =>
  createHash('sha256')
    .update(canonicalize(value) ?? '')
    .digest('base64url');

const released: RecordCertificateInput = {
  subjectId: 'KxY3mQ0aZb9vT2sL',
  record: {
    id: '0190c6f0-6c3a-7cc2-a6f5-0d1c5fb1f0e2',
    type: 'birth_record',
    version: 3,
    digest: digestOf(data),
  },
  // The policy released two of the three fields.
  fields: { childName: data.childName, birthDate: data.birthDate },
  issuerDepartment: 'health',
  recipientDepartment: 'civil_affairs',
  purpose: 'newborn_registration',
};

let t: TestApp;
let jwks: JSONWebKeySet;
let dir: string;

beforeAll(async () => {
  t = await startTestApp({}, { clock });
  // What a verifier saves from records while online.
  jwks = (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json();
  dir = await mkdtemp(join(tmpdir(), 'tongban-certificate-'));
});
afterAll(async () => {
  await t.close();
  await rm(dir, { recursive: true, force: true });
});

const issue = (input: Partial<RecordCertificateInput> = {}) =>
  issueRecordCertificate({ keys: t.keys, clock, input: { ...released, ...input } });

const verify = (jws: string, keySet: JSONWebKeySet = jwks) =>
  verifyRecordCertificate(jws, { jwks: keySet, now: clock() });

async function refusal(promise: Promise<unknown>): Promise<TokenErrorCode> {
  try {
    await promise;
  } catch (error) {
    if (isTokenError(error)) return error.code;
    throw error;
  }
  throw new Error('the certificate was accepted');
}

/** The certificate with one released field changed, re-encoded, its signature kept. */
function withEditedField(jws: string): string {
  const [head, body, signature] = jws.split('.') as [string, string, string];
  const claims = JSON.parse(new TextDecoder().decode(base64url.decode(body)));
  claims.fields.childName = '王小红';
  return `${head}.${base64url.encode(JSON.stringify(claims))}.${signature}`;
}

async function strangerJwks(): Promise<JSONWebKeySet> {
  const { publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  return { keys: [{ ...(await exportJWK(publicKey)), kid: 'stranger', use: 'sig', alg: 'EdDSA' }] };
}

describe('issueRecordCertificate', () => {
  it('signs a certificate that verifies offline against records’ JWKS', async () => {
    const issued = await issue();
    const { header, claims } = await verify(issued.token);
    expect(header.typ).toBe('tb-record+jwt');
    expect(jwks.keys.map((k) => k.kid)).toContain(header.kid);
    expect(claims).toEqual({
      iss: 'tb-records',
      sub: released.subjectId,
      jti: issued.jti,
      iat: now / 1000,
      exp: now / 1000 + DAY_S,
      record: released.record,
      fields: released.fields,
      issuer_department: 'health',
      recipient_department: 'civil_affairs',
      purpose: 'newborn_registration',
    });
    expect(issued.issuedAt).toEqual(clock());
    expect(issued.expiresAt).toEqual(new Date(now + DAY_S * 1000));
  });

  it('names the case of a case-bound read, and refuses to sign a mismatched one', async () => {
    const caseBound = await issue({ purpose: 'case:C-2030-0001', caseId: 'C-2030-0001' });
    expect((await verify(caseBound.token)).claims.case).toBe('C-2030-0001');
    await expect(issue({ purpose: 'case:C-1', caseId: 'C-2' })).rejects.toThrow(/purpose and case/);
    await expect(issue({ issuerDepartment: 'Health Bureau' })).rejects.toThrow(
      /not a certifiable read/,
    );
  });

  it('lives 24 h by default and never longer; a shorter lifetime is kept', async () => {
    const lifetime = async (lifetimeSeconds?: number) => {
      const { claims } = await verify(
        (await issue(lifetimeSeconds === undefined ? {} : { lifetimeSeconds })).token,
      );
      return claims.exp - claims.iat;
    };
    expect(await lifetime()).toBe(DAY_S);
    expect(await lifetime(7 * DAY_S)).toBe(DAY_S);
    expect(await lifetime(600)).toBe(600);
    await expect(issue({ lifetimeSeconds: 0 })).rejects.toThrow(RangeError);
  });
});

describe('verifyRecordCertificate against records’ JWKS', () => {
  it('refuses a certificate once it has expired (after the 30 s skew)', async () => {
    const { token } = await issue();
    now += DAY_S * 1000 + 30_000;
    await verify(token);
    now += 1000;
    expect(await refusal(verify(token))).toBe('certificate_expired');
  });

  it('refuses a certificate whose released field was changed', async () => {
    const { token } = await issue();
    expect(await refusal(verify(withEditedField(token)))).toBe('signature_invalid');
  });

  it('refuses a certificate signed by a key the JWKS does not hold', async () => {
    const { token } = await issue();
    expect(await refusal(verify(token, await strangerJwks()))).toBe('unknown_key');
  });

  it('refuses another token kind signed by the same key, and alg none', async () => {
    const { header, claims } = await verify((await issue()).token);
    const { iat: _iat, exp: _exp, ...payload } = claims;
    const logHead = await t.keys.sign({ typ: 'tb-log-head+jwt', payload, expiresInSeconds: 300 });
    expect(await refusal(verify(logHead))).toBe('signature_invalid');

    const none = [
      base64url.encode(
        JSON.stringify({ alg: 'none', typ: RECORD_CERTIFICATE_TYP, kid: header.kid }),
      ),
      base64url.encode(JSON.stringify(claims)),
      '',
    ].join('.');
    expect(await refusal(verify(none))).toBe('signature_invalid');
  });
});

// Each run starts a Node process on the built CLI, as `npm run tokens` does (the test run's
// global setup builds it): generous time, so a loaded machine does not fail it.
describe('pnpm tokens verify-record (the offline CLI, as a process)', { timeout: 180_000 }, () => {
  /** What `pnpm tokens …` runs, from the repository root. */
  const run = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [join(root, 'build', 'tokens.js'), ...args],
        { cwd: root, timeout: 60_000 },
        (error, stdout, stderr) => {
          const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
          resolve({ code, stdout, stderr });
        },
      );
    });

  const save = async (name: string, text: string) => {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  };

  it('prints the verified claims of a certificate (file or JWS), and each refusal’s reason', async () => {
    const { token } = await issue();
    const jwksFile = await save('records-jwks.json', JSON.stringify(jwks));
    const certificate = await save('certificate.jws', `${token}\n`);
    const at = ['--now', clock().toISOString()];

    const fromFile = await run(['verify-record', certificate, '--jwks', jwksFile, ...at]);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(fromFile.stdout).toContain('valid record certificate: birth_record');
    expect(fromFile.stdout).toContain(released.record.id);
    expect(fromFile.stdout).toContain('"recipient_department": "civil_affairs"');
    expect(fromFile.stdout).toContain('王小明');

    const inline = await run(['verify-record', token, '--jwks', jwksFile, ...at]);
    expect(inline.code, inline.stderr).toBe(0);

    const edited = await run([
      'verify-record',
      await save('edited.jws', withEditedField(token)),
      '--jwks',
      jwksFile,
      ...at,
    ]);
    expect(edited.code).toBe(1);
    expect(edited.stdout).toMatch(/^refused \(signature_invalid\)/);

    const later = new Date(now + DAY_S * 1000 + 31_000).toISOString();
    const expired = await run(['verify-record', certificate, '--jwks', jwksFile, '--now', later]);
    expect(expired.code).toBe(1);
    expect(expired.stdout).toMatch(/^refused \(certificate_expired\)/);

    const stranger = await save('stranger-jwks.json', JSON.stringify(await strangerJwks()));
    const unknown = await run(['verify-record', certificate, '--jwks', stranger, ...at]);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toMatch(/^refused \(unknown_key\)/);

    const usage = await run(['verify-record', certificate]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--jwks is required');
  });
});
