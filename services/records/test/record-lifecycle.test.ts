import { type TestIssuer, testIssuer } from '@tongban/test-tokens';
import { and, asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events, recordsTable, recordVersions } from '../src/db/schema.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { birthData, birthRecordType, recordWriters, subjects } from './helpers/record-writers.js';

// Real time throughout: the service and every token read the system clock.
const clock = () => new Date();

describe('PUT /v1/records/{id} and POST /v1/records/{id}/revoke', () => {
  let t: TestApp;
  let issuer: TestIssuer;
  let w: ReturnType<typeof recordWriters>;

  beforeAll(async () => {
    issuer = await testIssuer(clock);
    t = await startTestApp({}, { keyResolver: issuer.keyResolver });
    w = recordWriters(t.app, issuer);
    await w.declare(birthRecordType, 'health');
  });
  afterAll(() => t.close());

  const publish = async (data: Record<string, unknown> = birthData) => {
    const res = await w.client(await w.system('health')).POST('/v1/records', {
      body: { type: 'birth_record', subjectId: subjects.zhang, data },
    });
    if (!res.data) throw new Error(`publish: ${res.response.status}`);
    return { record: res.data, etag: res.response.headers.get('etag') as string };
  };
  const put = async (
    id: string,
    data: Record<string, unknown>,
    ifMatch: string | undefined,
    token?: string,
  ) =>
    w.client(token ?? (await w.system('health'))).PUT('/v1/records/{id}', {
      params: { path: { id }, header: ifMatch === undefined ? {} : { 'if-match': ifMatch } },
      body: { data },
    });
  const revoke = async (id: string, reason: string, ifMatch?: string, token?: string) =>
    w.client(token ?? (await w.system('health'))).POST('/v1/records/{id}/revoke', {
      params: { path: { id }, header: ifMatch === undefined ? {} : { 'if-match': ifMatch } },
      body: { reason },
    });
  const versionsOf = (id: string) =>
    t.database.db
      .select()
      .from(recordVersions)
      .where(eq(recordVersions.recordId, id))
      .orderBy(asc(recordVersions.version));
  const eventsOf = (id: string) =>
    t.database.db
      .select()
      .from(events)
      .where(and(eq(events.aggregateType, 'record'), eq(events.aggregateId, id)))
      .orderBy(asc(events.occurredAt));

  describe('PUT /v1/records/{id}', () => {
    it('appends version 2 under If-Match, moves the head, and keeps version 1 as it was', async () => {
      const { record, etag } = await publish();
      const corrected = { ...birthData, birthWeightGrams: 3300 };
      const res = await put(record.id, corrected, etag, await w.officer('health'));
      expect(res.response.status).toBe(200);
      expect(res.data).toMatchObject({
        id: record.id,
        version: 2,
        status: 'active',
        data: corrected,
        createdAt: record.createdAt,
      });
      expect(res.data?.digest).not.toBe(record.digest);
      expect(res.response.headers.get('etag')).toBe(`"${record.id}.v2"`);
      const versions = await versionsOf(record.id);
      expect(versions.map((v) => [v.version, v.digest])).toEqual([
        [1, record.digest],
        [2, res.data?.digest],
      ]);
      expect(versions[0]?.data).toEqual(birthData);
      expect(versions[1]?.publishedBy).toBe('staff:officer-health');

      const superseded = (await eventsOf(record.id)).at(-1);
      expect(superseded).toMatchObject({ type: 'record.superseded', aggregateVersion: 2 });
      expect(superseded?.data).toEqual({
        recordId: record.id,
        type: 'birth_record',
        previousVersion: 1,
        version: 2,
        digest: res.data?.digest,
      });
    });

    it('answers a stale If-Match with 412 version_conflict and leaves every version unchanged', async () => {
      const { record, etag } = await publish();
      const second = await put(record.id, { ...birthData, childName: '张小雪' }, etag);
      expect(second.response.status).toBe(200);
      const before = await versionsOf(record.id);
      const stale = await put(record.id, { ...birthData, childName: '张小雷' }, etag);
      expect(stale.response.status).toBe(412);
      expect(stale.error).toMatchObject({ code: 'version_conflict' });
      expect(await versionsOf(record.id)).toEqual(before);
      const [head] = await t.database.db
        .select()
        .from(recordsTable)
        .where(eq(recordsTable.id, record.id));
      expect(head?.version).toBe(2);
      // If-Match: * means "whatever is current".
      const any = await put(record.id, { ...birthData, childName: '张小雷' }, '*');
      expect(any.response.status).toBe(200);
      expect(any.data?.version).toBe(3);
    });

    it('lets exactly one of two writers holding the same version win', async () => {
      const { record, etag } = await publish();
      const [a, b] = await Promise.all([
        put(record.id, { ...birthData, childName: '甲' }, etag),
        put(record.id, { ...birthData, childName: '乙' }, etag),
      ]);
      expect([a.response.status, b.response.status].sort()).toEqual([200, 412]);
      expect((await versionsOf(record.id)).map((v) => v.version)).toEqual([1, 2]);
    });

    it('requires If-Match (428 precondition_required)', async () => {
      const { record } = await publish();
      const res = await put(record.id, birthData, undefined);
      expect(res.response.status).toBe(428);
      expect(res.error).toMatchObject({ code: 'precondition_required' });
      const malformed = await put(record.id, birthData, 'v1');
      expect(malformed.response.status).toBe(400);
      expect(malformed.error).toMatchObject({ errors: [{ field: 'headers.if-match' }] });
    });

    it('validates the new data against the type and names the failing paths', async () => {
      const { record, etag } = await publish();
      const res = await put(record.id, { ...birthData, sex: 'unknown', extra: 1 }, etag);
      expect(res.response.status).toBe(400);
      expect(res.error).toMatchObject({
        code: 'validation_failed',
        errors: expect.arrayContaining([
          { field: 'body.data.sex', message: expect.any(String) },
          { field: 'body.data.extra', message: 'is not allowed here' },
        ]),
      });
      expect(await versionsOf(record.id)).toHaveLength(1);
    });

    it('answers 404 for another department’s record and for an unknown id, 403 without records:write', async () => {
      const { record, etag } = await publish();
      const other = await put(record.id, birthData, etag, await w.system('civil_affairs'));
      expect(other.response.status).toBe(404);
      expect(other.error).toMatchObject({ code: 'not_found' });
      const unknown = await put('0190f1a4-0000-7000-8000-000000000000', birthData, etag);
      expect(unknown.response.status).toBe(404);
      const clerk = await put(
        record.id,
        birthData,
        etag,
        await issuer.staff('health', ['counter_clerk'], 'clerk-health', 'cases:read'),
      );
      expect(clerk.response.status).toBe(403);
      const resident = await put(record.id, birthData, etag, await issuer.resident(subjects.zhang));
      expect(resident.response.status).toBe(403);
      expect(await versionsOf(record.id)).toHaveLength(1);
    });

    it('gives a revoked record no new version (410 record_revoked), whatever If-Match says', async () => {
      const { record, etag } = await publish();
      const revoked = await revoke(record.id, 'Issued in error');
      expect(revoked.response.status).toBe(200);
      for (const ifMatch of [etag, revoked.response.headers.get('etag') as string, '*']) {
        const res = await put(record.id, birthData, ifMatch);
        expect(res.response.status, ifMatch).toBe(410);
        expect(res.error).toMatchObject({ code: 'record_revoked' });
      }
      expect(await versionsOf(record.id)).toHaveLength(1);
    });
  });

  describe('POST /v1/records/{id}/revoke', () => {
    it('revokes with a reason: status, time and reason on the record, a new ETag, record.revoked', async () => {
      const { record, etag } = await publish();
      const res = await revoke(record.id, '出生医学证明信息有误，已重新签发。\n见新证。', etag);
      expect(res.response.status).toBe(200);
      expect(res.data).toMatchObject({
        id: record.id,
        status: 'revoked',
        version: 1,
        digest: record.digest,
        data: birthData,
        revokeReason: '出生医学证明信息有误，已重新签发。\n见新证。',
      });
      expect(res.data?.revokedAt).toBe(res.data?.updatedAt);
      // The representation changed, so the tag did; the data version did not.
      expect(res.response.headers.get('etag')).toBe(`"${record.id}.v1.revoked"`);
      const revokedEvent = (await eventsOf(record.id)).at(-1);
      expect(revokedEvent?.type).toBe('record.revoked');
      expect(revokedEvent?.data).toEqual({
        recordId: record.id,
        type: 'birth_record',
        version: 1,
      });
      expect(JSON.stringify(revokedEvent?.data)).not.toContain('有误');
    });

    it('answers a second revocation with 409 conflict and keeps the first reason and time', async () => {
      const { record } = await publish();
      const first = await revoke(record.id, 'Duplicate of another certificate');
      const second = await revoke(record.id, 'Another reason');
      expect(second.response.status).toBe(409);
      expect(second.error).toMatchObject({ code: 'conflict' });
      const [head] = await t.database.db
        .select()
        .from(recordsTable)
        .where(eq(recordsTable.id, record.id));
      expect(head?.revokeReason).toBe('Duplicate of another certificate');
      expect(head?.revokedAt?.toISOString()).toBe(first.data?.revokedAt);
      expect((await eventsOf(record.id)).filter((e) => e.type === 'record.revoked')).toHaveLength(
        1,
      );
    });

    it('honours If-Match when sent: a stale tag is 412 and nothing is revoked', async () => {
      const { record, etag } = await publish();
      const next = await put(record.id, { ...birthData, childName: '张小雪' }, etag);
      expect(next.response.status).toBe(200);
      const stale = await revoke(record.id, 'Issued in error', etag);
      expect(stale.response.status).toBe(412);
      expect(stale.error).toMatchObject({ code: 'version_conflict' });
      const current = await revoke(
        record.id,
        'Issued in error',
        next.response.headers.get('etag') as string,
      );
      expect(current.response.status).toBe(200);
      expect(current.data).toMatchObject({ status: 'revoked', version: 2 });
    });

    it('refuses another department (404), a missing scope (403), a resident (403), no token (401)', async () => {
      const { record } = await publish();
      const other = await revoke(record.id, 'x', undefined, await w.system('public_security'));
      expect(other.response.status).toBe(404);
      expect(other.error).toMatchObject({ code: 'not_found' });
      const reader = await revoke(
        record.id,
        'x',
        undefined,
        await issuer.client('health', 'health-reader', 'records:read'),
      );
      expect(reader.response.status).toBe(403);
      const resident = await revoke(record.id, 'x', undefined, await issuer.resident());
      expect(resident.response.status).toBe(403);
      const anonymous = await t.app.inject({
        method: 'POST',
        url: `/v1/records/${record.id}/revoke`,
        payload: { reason: 'x' },
      });
      expect(anonymous.statusCode).toBe(401);
      const [head] = await t.database.db
        .select()
        .from(recordsTable)
        .where(eq(recordsTable.id, record.id));
      expect(head?.status).toBe('active');
    });

    it('requires a reason of safe text up to 500 characters', async () => {
      const { record } = await publish();
      for (const reason of ['', 'x'.repeat(501), 'bad\u202ereason']) {
        const res = await revoke(record.id, reason);
        expect(res.response.status).toBe(400);
        expect(res.error).toMatchObject({
          code: 'validation_failed',
          errors: [{ field: 'body.reason' }],
        });
      }
      const missing = await t.app.inject({
        method: 'POST',
        url: `/v1/records/${record.id}/revoke`,
        headers: { authorization: `Bearer ${await w.system('health')}` },
        payload: {},
      });
      expect(missing.statusCode).toBe(400);
    });
  });

  describe('record_versions', () => {
    it('refuses UPDATE and DELETE by trigger, whoever runs them', async () => {
      const { record } = await publish();
      await expect(
        t.database.db.execute(
          sql`update records.record_versions set data = '{}'::jsonb where record_id = ${record.id}`,
        ),
      ).rejects.toThrow();
      await expect(
        t.database.db.execute(
          sql`delete from records.record_versions where record_id = ${record.id}`,
        ),
      ).rejects.toThrow();
      const [kept] = await versionsOf(record.id);
      expect(kept?.data).toEqual(birthData);
      expect(kept?.digest).toBe(record.digest);
    });
  });
});
