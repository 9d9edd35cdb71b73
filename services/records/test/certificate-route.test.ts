import { randomBytes } from 'node:crypto';
import { verifyRecordCertificate } from '@tongban/tokens';
import type { JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { residentHeaders } from './helpers/read-callers.js';
import { type ReadWorld, requestId, startReadWorld } from './helpers/read-world.js';

// The record a department published, read by another department for a stated purpose: the
// certificate states exactly what that read released, and verifies offline with records' JWKS.
describe('GET /v1/records/{id}/certificate', () => {
  let w: ReadWorld;
  let jwks: JSONWebKeySet;
  let recordId: string;
  const subjectId = randomBytes(12).toString('base64url');
  const data = {
    companyName: '清源味道餐饮有限公司',
    creditCode: '91350500MA2Y0K1234',
    legalRepresentative: '陈杰',
  };

  beforeAll(async () => {
    w = await startReadWorld();
    await w.createRecordType('market_regulation', 'business_licence', Object.keys(data));
    await w.createPolicy('market_regulation', {
      readerDepartment: 'fire_safety',
      recordType: 'business_licence',
      purpose: 'opening_inspection',
      fields: ['companyName', 'creditCode'],
      consentRequired: false,
    });
    const published = await w.t.app.inject({
      method: 'POST',
      url: '/v1/records',
      headers: {
        authorization: `Bearer ${await w.callers.client('market_regulation', ['records:write'])}`,
      },
      payload: { type: 'business_licence', subjectId, data },
    });
    expect(published.statusCode).toBe(201);
    recordId = published.json().id;
    jwks = (await w.t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json();
  });
  afterAll(() => w.close());

  const certificate = async (token: string, purpose = 'opening_inspection') => {
    const id = requestId();
    const res = await w.t.app.inject({
      method: 'GET',
      url: `/v1/records/${recordId}/certificate?purpose=${purpose}`,
      headers: { authorization: `Bearer ${token}`, 'x-request-id': id },
    });
    return { res, entries: await w.entriesOf(id) };
  };

  it('certifies exactly the released fields to the reading department, logged as the read', async () => {
    const reader = await w.callers.staff('fire_safety', ['case_officer'], ['records:read']);
    const { res, entries } = await certificate(reader);
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json();
    const { claims, header } = await verifyRecordCertificate(body.certificate, {
      jwks,
      now: w.clock.now(),
    });
    expect(header.typ).toBe('tb-record+jwt');
    expect(claims.fields).toEqual({ companyName: data.companyName, creditCode: data.creditCode });
    expect(res.body).not.toContain(data.legalRepresentative);
    expect(claims).toMatchObject({
      sub: subjectId,
      record: { id: recordId, type: 'business_licence', version: 1 },
      issuer_department: 'market_regulation',
      recipient_department: 'fire_safety',
      purpose: 'opening_inspection',
    });
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      outcome: 'released',
      readerDepartment: 'fire_safety',
    });
    expect([...(entries[0]?.fields ?? [])].sort()).toEqual(['companyName', 'creditCode']);
  });

  it('no longer verifies after its expiry, or with a changed field', async () => {
    const reader = await w.callers.staff('fire_safety', ['case_officer'], ['records:read']);
    const { res } = await certificate(reader);
    const jws: string = res.json().certificate;
    const [h, p, s] = jws.split('.');
    const payload = JSON.parse(Buffer.from(p ?? '', 'base64url').toString('utf8'));
    payload.fields.companyName = '别的公司';
    const edited = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
    await expect(verifyRecordCertificate(edited, { jwks, now: w.clock.now() })).rejects.toThrow();
    const expiresAt = Date.parse(res.json().expiresAt);
    await expect(
      verifyRecordCertificate(jws, { jwks, now: new Date(expiresAt + 31_000) }),
    ).rejects.toMatchObject({ code: 'certificate_expired' });
  });

  it('gives no certificate to a department without a policy, and logs the refusal', async () => {
    const other = await w.callers.staff('health', ['case_officer'], ['records:read']);
    const { res, entries } = await certificate(other);
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('purpose_not_allowed');
    expect(res.json()).not.toHaveProperty('certificate');
    expect(res.body).not.toContain(data.companyName);
    expect(entries.map((e) => e.outcome)).toEqual(['denied']);
  });

  it('is not for residents, who read their own records directly', async () => {
    const resident = await w.callers.resident(subjectId);
    const url = `/v1/records/${recordId}/certificate?purpose=self`;
    const res = await w.t.app.inject({
      method: 'GET',
      url,
      headers: await residentHeaders(resident, { method: 'GET', url }),
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('forbidden');
  });

  it('refuses a revoked record with record_revoked', async () => {
    const publisher = await w.callers.client('market_regulation', ['records:write']);
    const revoked = await w.t.app.inject({
      method: 'POST',
      url: `/v1/records/${recordId}/revoke`,
      headers: { authorization: `Bearer ${publisher}` },
      payload: { reason: '企业注销' },
    });
    expect(revoked.statusCode).toBe(200);
    const reader = await w.callers.staff('fire_safety', ['case_officer'], ['records:read']);
    const { res } = await certificate(reader);
    expect(res.statusCode).toBe(410);
    expect(res.json().code).toBe('record_revoked');
  });
});
