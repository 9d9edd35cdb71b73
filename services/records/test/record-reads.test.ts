import { createHash } from 'node:crypto';
import { createRecordsClient } from '@tongban/clients';
import { injectFetch } from '@tongban/clients/testing';
import canonicalize from 'canonicalize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { residentHeaders } from './helpers/read-callers.js';
import { type ReadWorld, requestId, startReadWorld } from './helpers/read-world.js';

const TYPE = 'birth_record';

/** ADR 0013's digest, computed here from the data alone: SHA-256 of the RFC 8785 form, base64url. */
const recordDigest = (data: unknown) =>
  createHash('sha256')
    .update(canonicalize(data) ?? '', 'utf8')
    .digest('base64url');

describe('record reads: GET /v1/records, /v1/records/{id}, /v1/records/{id}/versions', () => {
  let w: ReadWorld;
  let civil: string;
  let social: string;
  let healthSystem: string;

  beforeAll(async () => {
    w = await startReadWorld();
    await w.createRecordType('health', TYPE, ['childName', 'birthDate', 'motherName']);
    await w.createPolicy('health', {
      readerDepartment: 'civil_affairs',
      recordType: TYPE,
      purpose: 'household_registration',
      fields: ['childName', 'birthDate'],
      consentRequired: false,
    });
    await w.createPolicy('health', {
      readerDepartment: 'social_security',
      recordType: TYPE,
      purpose: 'insurance_enrolment',
      fields: ['childName', 'motherName'],
      consentRequired: true,
    });
    civil = await w.callers.client('civil_affairs', ['records:read']);
    social = await w.callers.client('social_security', ['records:read']);
    healthSystem = await w.callers.client('health', ['records:write']);
  });
  afterAll(() => w.close());

  let subjects = 0;
  /** A subject id of its own (identity's form: 16 base64url characters) for each test. */
  const aSubject = () => {
    subjects += 1;
    return `SubReads${String(subjects).padStart(8, '0')}`;
  };
  /**
   * A record of a subject of its own, so tests do not share consent or log state, published by
   * health's system; later versions and the revocation one minute apart on the clock.
   */
  const aRecord = async (
    versions: Record<string, unknown>[] = [
      { childName: 'Li Ming', birthDate: '2030-01-01', motherName: 'Wang Fang' },
    ],
    revoke?: string,
  ) => {
    const subjectId = aSubject();
    const { id, digests } = await w.publishRecord({
      issuer: 'health',
      type: TYPE,
      subjectId,
      versions,
      stepMs: 60_000,
      ...(revoke === undefined ? {} : { revoke }),
    });
    return { id, subjectId, digests };
  };

  const get = async (url: string, token: string, headers: Record<string, string> = {}) => {
    const id = requestId();
    const res = await w.t.app.inject({
      method: 'GET',
      url,
      headers: { authorization: `Bearer ${token}`, 'x-request-id': id, ...headers },
    });
    return { res, body: res.json(), entries: await w.entriesOf(id) };
  };

  describe('purpose', () => {
    it('is required, and must be a policy purpose, case:<caseId> or self (400 before any lookup)', async () => {
      const { id } = await aRecord();
      for (const query of [
        '',
        '?purpose=',
        '?purpose=Household',
        '?purpose=case',
        '?purpose=case:',
        '?purpose=case:C%201',
        `?purpose=case:${'c'.repeat(65)}`,
        '?purpose=a',
      ]) {
        const { res, body, entries } = await get(`/v1/records/${id}${query}`, civil);
        expect(res.statusCode, query).toBe(400);
        expect(body).toMatchObject({ code: 'validation_failed' });
        expect(JSON.stringify(body.errors), query).toContain('querystring.purpose');
        expect(entries).toEqual([]);
      }
      const list = await get(`/v1/records?subjectId=sub-x&type=${TYPE}`, civil);
      expect(list.res.statusCode).toBe(400);
    });

    it('self is refused to a department (403 forbidden, logged)', async () => {
      const { id } = await aRecord();
      const { res, entries } = await get(`/v1/records/${id}?purpose=self`, healthSystem);
      expect(res.statusCode).toBe(403);
      expect(entries).toMatchObject([{ outcome: 'denied', denialCode: 'forbidden' }]);
    });
  });

  describe('GET /v1/records/{id}', () => {
    it('gives the issuing department every field, with the digest of the whole version', async () => {
      const { id, subjectId, digests } = await aRecord();
      const { res, body } = await get(`/v1/records/${id}?purpose=quality_audit`, healthSystem);
      expect(res.statusCode).toBe(200);
      expect(body).toEqual({
        id,
        type: TYPE,
        subjectId,
        issuerDepartment: 'health',
        status: 'active',
        version: 1,
        digest: digests[0],
        publishedAt: w.clock.now().toISOString(),
        data: { childName: 'Li Ming', birthDate: '2030-01-01', motherName: 'Wang Fang' },
        releasedFields: expect.arrayContaining(['childName', 'birthDate', 'motherName']),
      });
      expect(body.digest).toBe(
        recordDigest({ childName: 'Li Ming', birthDate: '2030-01-01', motherName: 'Wang Fang' }),
      );
      // The current version's tag (for If-Match on PUT), and no cache may keep a release.
      expect(res.headers.etag).toBe(`"${id}.v1"`);
      expect(res.headers['cache-control']).toBe('no-store');
    });

    it('gives a department’s staff with records:read the policy’s fields; without the scope nothing (403, logged)', async () => {
      const { id } = await aRecord();
      const officer = await w.callers.staff('civil_affairs', ['case_officer'], ['records:read']);
      const ok = await get(`/v1/records/${id}?purpose=household_registration`, officer);
      expect(ok.res.statusCode).toBe(200);
      expect(ok.body.data).toEqual({ childName: 'Li Ming', birthDate: '2030-01-01' });
      const admin = await w.callers.staff('civil_affairs', ['department_admin']);
      const refused = await get(`/v1/records/${id}?purpose=household_registration`, admin);
      expect(refused.res.statusCode).toBe(403);
      expect(refused.body).toMatchObject({ code: 'forbidden' });
      expect(refused.entries).toMatchObject([{ outcome: 'denied', denialCode: 'forbidden' }]);
      // records:write is the issuer's scope: it lets no other department read.
      const writer = await w.callers.client('civil_affairs', ['records:write']);
      expect(
        (await get(`/v1/records/${id}?purpose=household_registration`, writer)).res.statusCode,
      ).toBe(403);
    });

    it('answers 404 for an unknown record or version, and logs nothing', async () => {
      const { id } = await aRecord();
      const unknown = await get(
        '/v1/records/0190f0e0-0000-7000-8000-000000000000?purpose=household_registration',
        civil,
      );
      expect(unknown.res.statusCode).toBe(404);
      expect(unknown.body).toMatchObject({ code: 'not_found' });
      expect(unknown.entries).toEqual([]);
      const version = await get(
        `/v1/records/${id}?purpose=household_registration&version=9`,
        civil,
      );
      expect(version.res.statusCode).toBe(404);
      expect(version.entries).toEqual([]);
      expect(
        (await get('/v1/records/not-a-uuid?purpose=household_registration', civil)).res.statusCode,
      ).toBe(400);
    });

    it('refuses anonymous callers (401)', async () => {
      const { id } = await aRecord();
      const res = await w.t.app.inject({
        method: 'GET',
        url: `/v1/records/${id}?purpose=household_registration`,
      });
      expect(res.statusCode).toBe(401);
    });
  });

  describe('versions (acceptance 6)', () => {
    it('keeps an old version readable by version and in the history, newest first, with its own digest', async () => {
      const v1 = { childName: 'Li Ming', birthDate: '2030-01-01', motherName: 'Wang Fang' };
      const v2 = { childName: 'Li Xiaoming', birthDate: '2030-01-02', motherName: 'Wang Fang' };
      const { id, digests } = await aRecord([v1, v2]);
      const current = await get(`/v1/records/${id}?purpose=household_registration`, civil);
      expect(current.body).toMatchObject({ version: 2, data: { childName: 'Li Xiaoming' } });
      const old = await get(`/v1/records/${id}?purpose=household_registration&version=1`, civil);
      expect(old.body).toMatchObject({
        version: 1,
        digest: digests[0],
        data: { childName: 'Li Ming' },
      });
      expect(old.res.headers.etag).toBeUndefined();
      expect(current.res.headers.etag).toBe(`"${id}.v2"`);
      const history = await get(`/v1/records/${id}/versions?purpose=household_registration`, civil);
      expect(history.res.statusCode).toBe(200);
      expect(history.body.items.map((r: { version: number }) => r.version)).toEqual([2, 1]);
      expect(history.res.headers['cache-control']).toBe('no-store');
      expect(history.body.items[1]).toMatchObject({
        digest: digests[0],
        data: { childName: 'Li Ming', birthDate: '2030-01-01' },
      });
      expect(history.res.body).not.toContain('Wang Fang');
      const paged = await get(
        `/v1/records/${id}/versions?purpose=household_registration&limit=1`,
        civil,
      );
      expect(paged.body.items.map((r: { version: number }) => r.version)).toEqual([2]);
      const rest = await get(
        `/v1/records/${id}/versions?purpose=household_registration&limit=1&cursor=${paged.body.nextCursor}`,
        civil,
      );
      expect(rest.body.items.map((r: { version: number }) => r.version)).toEqual([1]);
      expect(rest.body.nextCursor).toBeNull();
      expect(rest.entries).toMatchObject([{ outcome: 'released', recordVersion: 1 }]);
    });

    it('refuses a made-up history cursor (400)', async () => {
      const { id } = await aRecord();
      for (const key of [['x'], [0], [2 ** 31], [1.5]]) {
        const cursor = Buffer.from(JSON.stringify(key)).toString('base64url');
        const { res } = await get(
          `/v1/records/${id}/versions?purpose=household_registration&cursor=${cursor}`,
          civil,
        );
        expect(res.statusCode, JSON.stringify(key)).toBe(400);
      }
    });
  });

  describe('a revoked record', () => {
    it('answers 410 record_revoked with when and why, no data, and logs the refusal; its history stays readable', async () => {
      const { id } = await aRecord(
        [{ childName: 'Li Ming', birthDate: '2030-01-01', motherName: 'Wang Fang' }],
        'Issued in error',
      );
      // Revoked a minute after publication, by the service's clock.
      const revokedAt = w.clock.now();
      const read = await get(`/v1/records/${id}?purpose=household_registration`, civil);
      expect(read.res.statusCode).toBe(410);
      expect(read.body).toMatchObject({
        code: 'record_revoked',
        revokedAt: revokedAt.toISOString(),
        reason: 'Issued in error',
      });
      expect(read.res.body).not.toContain('Li Ming');
      expect(read.entries).toMatchObject([
        { outcome: 'denied', denialCode: 'record_revoked', recordId: id, fields: [] },
      ]);
      const version = await get(
        `/v1/records/${id}?purpose=household_registration&version=1`,
        civil,
      );
      expect(version.res.statusCode).toBe(410);
      const history = await get(`/v1/records/${id}/versions?purpose=household_registration`, civil);
      expect(history.res.statusCode).toBe(200);
      expect(history.body.items).toMatchObject([
        { status: 'revoked', version: 1, data: { childName: 'Li Ming', birthDate: '2030-01-01' } },
      ]);
    });

    it('tells a reader without a policy only that it may not read (403, not the revocation)', async () => {
      const { id } = await aRecord(undefined, 'Issued in error');
      const other = await w.callers.client('fire_safety', ['records:read']);
      const { res } = await get(`/v1/records/${id}?purpose=household_registration`, other);
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ code: 'purpose_not_allowed' });
      expect(res.body).not.toContain('Issued in error');
    });

    it('is left out of lists', async () => {
      const { subjectId } = await aRecord(undefined, 'Duplicate');
      const { body, entries } = await get(
        `/v1/records?subjectId=${subjectId}&type=${TYPE}&purpose=household_registration`,
        civil,
      );
      expect(body).toEqual({ items: [], nextCursor: null });
      expect(entries).toEqual([]);
    });

    it('is listed on request (includeRevoked=true), as revoked, with only the fields the caller may read, and logged', async () => {
      const { id, subjectId } = await aRecord(undefined, 'Duplicate');
      const list = `/v1/records?subjectId=${subjectId}&type=${TYPE}`;
      const reader = await get(`${list}&purpose=household_registration&includeRevoked=true`, civil);
      expect(reader.res.statusCode).toBe(200);
      expect(reader.body.items).toEqual([
        expect.objectContaining({
          id,
          status: 'revoked',
          version: 1,
          data: { childName: 'Li Ming', birthDate: '2030-01-01' },
        }),
      ]);
      expect(reader.res.body).not.toContain('Wang Fang');
      expect(reader.entries).toMatchObject([
        { outcome: 'released', recordId: id, recordVersion: 1 },
      ]);
      expect([...(reader.entries[0]?.fields ?? [])].sort()).toEqual(['birthDate', 'childName']);
      // The issuing department finds what it issued and revoked: every field, for any purpose.
      const issuer = await get(`${list}&purpose=quality_audit&includeRevoked=true`, healthSystem);
      expect(issuer.body.items).toMatchObject([
        { id, status: 'revoked', data: { motherName: 'Wang Fang' } },
      ]);
      // Asking for active records only is the default, and says so explicitly too.
      const active = await get(
        `${list}&purpose=household_registration&includeRevoked=false`,
        civil,
      );
      expect(active.body).toEqual({ items: [], nextCursor: null });
      // A refusal is the same with or without it.
      const other = await w.callers.client('fire_safety', ['records:read']);
      const refused = await get(
        `${list}&purpose=household_registration&includeRevoked=true`,
        other,
      );
      expect(refused.res.statusCode).toBe(403);
      expect(refused.body).toMatchObject({ code: 'purpose_not_allowed' });
      expect(refused.res.body).not.toContain('Li Ming');
      const malformed = await get(`${list}&purpose=household_registration&includeRevoked=1`, civil);
      expect(malformed.res.statusCode).toBe(400);
      expect(JSON.stringify(malformed.body)).toContain('querystring.includeRevoked');
    });
  });

  describe('consent', () => {
    it('lets a read through while the consent holds; the first read after a revocation is denied', async () => {
      const { id, subjectId } = await aRecord();
      const url = `/v1/records/${id}?purpose=insurance_enrolment`;
      expect((await get(url, social)).body).toMatchObject({ code: 'consent_required' });
      const consent = await w.grantConsent({
        subjectId,
        department: 'social_security',
        typeCode: TYPE,
        purpose: 'insurance_enrolment',
      });
      const allowed = await get(url, social);
      expect(allowed.res.statusCode).toBe(200);
      expect(allowed.body.data).toEqual({ childName: 'Li Ming', motherName: 'Wang Fang' });
      await w.revokeConsent(consent);
      const after = await get(url, social);
      expect(after.res.statusCode).toBe(403);
      expect(after.body).toMatchObject({ code: 'consent_required' });
      expect(after.res.body).not.toContain('Wang Fang');
      expect(after.entries).toMatchObject([{ outcome: 'denied', denialCode: 'consent_required' }]);
    });

    it('stops at the consent’s expiry, by the service clock', async () => {
      const { id, subjectId } = await aRecord();
      await w.grantConsent({
        subjectId,
        department: 'social_security',
        typeCode: TYPE,
        purpose: 'insurance_enrolment',
        expiresAt: new Date(w.clock.now().getTime() + 60_000),
      });
      const url = `/v1/records/${id}?purpose=insurance_enrolment`;
      expect((await get(url, social)).res.statusCode).toBe(200);
      w.clock.advance(60_000);
      const token = await w.callers.client('social_security', ['records:read']);
      expect((await get(url, token)).body).toMatchObject({ code: 'consent_required' });
    });

    it('counts only a consent for this department, type and purpose', async () => {
      const { id, subjectId } = await aRecord();
      await w.grantConsent({
        subjectId,
        department: 'civil_affairs',
        typeCode: TYPE,
        purpose: 'insurance_enrolment',
      });
      await w.grantConsent({
        subjectId,
        department: 'social_security',
        typeCode: TYPE,
        purpose: 'pension_review',
      });
      const { body } = await get(`/v1/records/${id}?purpose=insurance_enrolment`, social);
      expect(body).toMatchObject({ code: 'consent_required' });
    });
  });

  describe('policy withdrawal', () => {
    it('stops reads relying on the policy from the next read on', async () => {
      const { id } = await aRecord();
      const policy = await w.createPolicy('health', {
        readerDepartment: 'civil_affairs',
        recordType: TYPE,
        purpose: 'short_lived',
        fields: ['childName'],
        consentRequired: false,
      });
      const url = `/v1/records/${id}?purpose=short_lived`;
      expect((await get(url, civil)).res.statusCode).toBe(200);
      const withdrawn = await w.t.app.inject({
        method: 'POST',
        url: `/v1/policies/${policy.id}/withdraw`,
        headers: {
          authorization: `Bearer ${await w.callers.staff('health', ['department_admin'])}`,
        },
      });
      expect(withdrawn.statusCode).toBe(200);
      const after = await get(url, civil);
      expect(after.res.statusCode).toBe(403);
      expect(after.body).toMatchObject({ code: 'purpose_not_allowed' });
    });
  });

  describe('GET /v1/records', () => {
    it('pages a subject’s records of a type, each read logged once', async () => {
      const subjectId = aSubject();
      const ids: string[] = [];
      for (const name of ['First', 'Second', 'Third']) {
        w.clock.advance(1);
        const { id } = await w.publishRecord({
          issuer: 'health',
          type: TYPE,
          subjectId,
          versions: [{ childName: name, birthDate: '2030-01-01', motherName: 'Secret' }],
        });
        ids.push(id);
      }
      const url = `/v1/records?subjectId=${subjectId}&type=${TYPE}&purpose=household_registration&limit=2`;
      const first = await get(url, civil);
      expect(first.res.statusCode).toBe(200);
      expect(first.body.items.map((r: { id: string }) => r.id)).toEqual(ids.slice(0, 2));
      expect(first.res.body).not.toContain('Secret');
      expect(first.res.headers['cache-control']).toBe('no-store');
      expect(first.entries.map((e) => e.recordId).sort()).toEqual(ids.slice(0, 2).sort());
      const second = await get(`${url}&cursor=${first.body.nextCursor}`, civil);
      expect(second.body.items.map((r: { id: string }) => r.id)).toEqual([ids[2]]);
      expect(second.body.nextCursor).toBeNull();
      expect(second.entries).toHaveLength(1);
    });

    it('logs nothing for an empty list, and a refused list only when the subject holds such records', async () => {
      const other = await w.callers.client('fire_safety', ['records:read']);
      const empty = await get(
        `/v1/records?subjectId=sub-nobody&type=${TYPE}&purpose=household_registration`,
        other,
      );
      expect(empty.res.statusCode).toBe(403);
      expect(empty.body).toMatchObject({ code: 'purpose_not_allowed' });
      expect(empty.entries).toEqual([]);
      const allowedEmpty = await get(
        `/v1/records?subjectId=sub-nobody&type=${TYPE}&purpose=household_registration`,
        civil,
      );
      expect(allowedEmpty.body).toEqual({ items: [], nextCursor: null });
      expect(allowedEmpty.entries).toEqual([]);
    });

    it('refuses an unknown type, missing subject and a made-up cursor (400)', async () => {
      const unknownType = await get(
        '/v1/records?subjectId=sub-a&type=no_such_type&purpose=household_registration',
        civil,
      );
      expect(unknownType.res.statusCode).toBe(400);
      expect(JSON.stringify(unknownType.body)).toContain('querystring.type');
      const noSubject = await get(`/v1/records?type=${TYPE}&purpose=household_registration`, civil);
      expect(noSubject.res.statusCode).toBe(400);
      for (const key of [
        ['x', 'y'],
        ['2030-01-01T00:00:00.000Z', 'not-a-uuid'],
        [1, 2],
      ]) {
        const cursor = Buffer.from(JSON.stringify(key)).toString('base64url');
        const { res } = await get(
          `/v1/records?subjectId=sub-a&type=${TYPE}&purpose=household_registration&cursor=${cursor}`,
          civil,
        );
        expect(res.statusCode, JSON.stringify(key)).toBe(400);
      }
    });

    it('lets a resident list their own records for self, and nobody else’s', async () => {
      const { subjectId } = await aRecord();
      const resident = await w.callers.resident(subjectId);
      const url = `/v1/records?subjectId=${subjectId}&type=${TYPE}&purpose=self`;
      const res = await w.t.app.inject({
        method: 'GET',
        url,
        headers: await residentHeaders(resident, { method: 'GET', url }),
      });
      expect(res.statusCode).toBe(200);
      expect(res.json().items[0].data).toMatchObject({ motherName: 'Wang Fang' });
      const otherPurpose = `/v1/records?subjectId=${subjectId}&type=${TYPE}&purpose=household_registration`;
      const refused = await w.t.app.inject({
        method: 'GET',
        url: otherPurpose,
        headers: await residentHeaders(resident, { method: 'GET', url: otherPurpose }),
      });
      expect(refused.statusCode).toBe(403);
      expect(refused.json()).toMatchObject({ code: 'forbidden' });
    });
  });

  it('works through the typed client', async () => {
    const { id, subjectId } = await aRecord();
    const client = createRecordsClient({
      baseUrl: 'http://records.test',
      fetch: injectFetch(w.t.app),
      token: civil,
    });
    const one = await client.GET('/v1/records/{id}', {
      params: { path: { id }, query: { purpose: 'household_registration' } },
    });
    expect(one.data?.releasedFields.sort()).toEqual(['birthDate', 'childName']);
    const list = await client.GET('/v1/records', {
      params: { query: { subjectId, type: TYPE, purpose: 'household_registration' } },
    });
    expect(list.data?.items).toHaveLength(1);
    const history = await client.GET('/v1/records/{id}/versions', {
      params: { path: { id }, query: { purpose: 'household_registration' } },
    });
    expect(history.data?.items).toHaveLength(1);
  });
});
