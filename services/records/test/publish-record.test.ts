import { createHash } from 'node:crypto';
import { type TestIssuer, testIssuer } from '@tongban/test-tokens';
import canonicalize from 'canonicalize';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events, outbox, recordsTable, recordVersions } from '../src/db/schema.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { birthData, birthRecordType, recordWriters, subjects } from './helpers/record-writers.js';

// Real time throughout: the service and every token read the system clock.
const clock = () => new Date();

describe('POST /v1/records', () => {
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

  const publish = async (
    token: string | undefined,
    body: { type: string; subjectId: string; data: Record<string, unknown> },
    idempotencyKey?: string,
  ) =>
    w.client(token).POST('/v1/records', {
      body,
      params: { header: idempotencyKey ? { 'idempotency-key': idempotencyKey } : {} },
    });

  const birth = { type: 'birth_record', subjectId: subjects.zhang, data: birthData };

  it('publishes version 1 for the issuing department’s system: 201, ETag, Location and the record', async () => {
    const res = await publish(await w.system('health'), birth);
    expect(res.response.status).toBe(201);
    const record = res.data;
    if (!record) throw new Error('no record');
    expect(record).toMatchObject({
      type: 'birth_record',
      subjectId: subjects.zhang,
      issuerDepartment: 'health',
      status: 'active',
      version: 1,
      data: birthData,
    });
    expect(record.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(record.publishedAt).toBe(record.createdAt);
    expect(record.updatedAt).toBe(record.createdAt);
    expect(record).not.toHaveProperty('revokedAt');
    expect(record).not.toHaveProperty('revokeReason');
    expect(res.response.headers.get('etag')).toBe(`"${record.id}.v1"`);
    expect(res.response.headers.get('location')).toBe(`/v1/records/${record.id}`);

    const [head] = await t.database.db
      .select()
      .from(recordsTable)
      .where(eq(recordsTable.id, record.id));
    expect(head).toMatchObject({ typeCode: 'birth_record', version: 1, status: 'active' });
    const versions = await t.database.db
      .select()
      .from(recordVersions)
      .where(eq(recordVersions.recordId, record.id));
    expect(versions).toHaveLength(1);
    expect(versions[0]).toMatchObject({ version: 1, publishedBy: 'client:client-health' });
  });

  it('stores a digest anyone can recompute from the fields: base64url SHA-256 of the RFC 8785 form', async () => {
    // The same data with its members in another order: the digest does not move.
    const reordered = {
      mother: { subjectId: subjects.li, name: '李娜' },
      sex: 'female',
      birthWeightGrams: 3250,
      birthDate: '2025-03-14',
      childName: '张小雨',
    };
    const res = await publish(await w.officer('health'), { ...birth, data: reordered });
    expect(res.response.status).toBe(201);
    const expected = createHash('sha256')
      .update(
        '{"birthDate":"2025-03-14","birthWeightGrams":3250,"childName":"张小雨","mother":{"name":"李娜","subjectId":"LiNa000000000000"},"sex":"female"}',
        'utf8',
      )
      .digest('base64url');
    expect(res.data?.digest).toBe(expected);
    // And from what the database holds, independently of the service's code.
    const [stored] = await t.database.db
      .select()
      .from(recordVersions)
      .where(eq(recordVersions.recordId, res.data?.id as string));
    const recomputed = createHash('sha256')
      .update(canonicalize(stored?.data) as string, 'utf8')
      .digest('base64url');
    expect(stored?.digest).toBe(expected);
    expect(recomputed).toBe(expected);
    expect(stored?.publishedBy).toBe('staff:officer-health');
  });

  it('records record.published with ids, type and digest only (no subject), in the same transaction', async () => {
    const res = await publish(await w.system('health'), birth);
    const id = res.data?.id as string;
    const rows = await t.database.db
      .select()
      .from(events)
      .where(and(eq(events.aggregateType, 'record'), eq(events.aggregateId, id)));
    expect(rows.map((e) => e.type)).toEqual(['record.published']);
    expect(rows[0]?.data).toEqual({
      recordId: id,
      type: 'birth_record',
      version: 1,
      digest: res.data?.digest,
    });
    const [out] = await t.database.db
      .select()
      .from(outbox)
      .where(eq(outbox.eventId, rows[0]?.id as string));
    // No field, and not whose record it is: that is learnt by a logged read.
    expect(JSON.stringify(out?.payload)).not.toContain('张小雨');
    expect(JSON.stringify(out?.payload)).not.toContain(subjects.zhang);
  });

  it('replays the publication to a retry with the same Idempotency-Key, publishing once', async () => {
    const token = await w.system('health');
    const first = await publish(token, birth, 'birth-2025-001');
    const retry = await publish(token, birth, 'birth-2025-001');
    expect(first.response.status).toBe(201);
    expect(retry.response.status).toBe(201);
    expect(retry.response.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.response.headers.get('etag')).toBe(first.response.headers.get('etag'));
    expect(retry.data).toEqual(first.data);
    const published = await t.database.db
      .select()
      .from(events)
      .where(eq(events.aggregateId, first.data?.id as string));
    expect(published).toHaveLength(1);
    // The same key for another body is refused, not replayed.
    const reused = await publish(token, { ...birth, subjectId: subjects.wang }, 'birth-2025-001');
    expect(reused.response.status).toBe(422);
    expect(reused.error).toMatchObject({ code: 'idempotency_conflict' });
  });

  describe('who may publish', () => {
    it('refuses another department’s system and officer (403 forbidden)', async () => {
      for (const token of [await w.system('civil_affairs'), await w.officer('civil_affairs')]) {
        const res = await publish(token, birth);
        expect(res.response.status).toBe(403);
        expect(res.error).toMatchObject({ code: 'forbidden' });
      }
    });

    it('refuses a token of the issuing department without records:write (403 forbidden)', async () => {
      const readOnly = await issuer.client('health', 'client-health-reader', 'records:read');
      const admin = await w.admin('health');
      for (const token of [readOnly, admin]) {
        const res = await publish(token, birth);
        expect(res.response.status).toBe(403);
        expect(res.error).toMatchObject({ code: 'forbidden' });
        expect(res.response.headers.get('www-authenticate')).toContain('insufficient_scope');
      }
    });

    it('refuses residents (403) and anonymous callers (401)', async () => {
      const resident = await publish(await issuer.resident(subjects.zhang), birth);
      expect(resident.response.status).toBe(403);
      expect(resident.error).toMatchObject({ code: 'forbidden' });
      const anonymous = await publish(undefined, birth);
      expect(anonymous.response.status).toBe(401);
      expect(anonymous.error).toMatchObject({ code: 'unauthorized' });
    });

    it('published nothing for any refused caller', async () => {
      const rows = await t.database.db
        .select()
        .from(recordsTable)
        .where(eq(recordsTable.issuerDepartment, 'civil_affairs'));
      expect(rows).toEqual([]);
    });
  });

  describe('validation', () => {
    const failing = async (body: Parameters<typeof publish>[1]) => {
      const res = await publish(await w.system('health'), body);
      expect(res.response.status).toBe(400);
      expect(res.error).toMatchObject({ code: 'validation_failed' });
      return (res.error as { errors: { field: string; message: string }[] }).errors;
    };

    it('answers an unknown record type with 400 on body.type, before looking at the caller’s department', async () => {
      const res = await publish(await w.system('civil_affairs'), {
        ...birth,
        type: 'no_such_type',
      });
      expect(res.response.status).toBe(400);
      expect(res.error).toMatchObject({
        code: 'validation_failed',
        errors: [{ field: 'body.type', message: 'is not a record type' }],
      });
    });

    it('names every path where the data fails the type’s field schema', async () => {
      const errors = await failing({
        ...birth,
        data: {
          childName: '',
          birthDate: '14/03/2025',
          birthWeightGrams: 3250.5,
          mother: { subjectId: 7 },
          eyeColour: 'brown',
        },
      });
      expect(errors).toEqual(
        expect.arrayContaining([
          { field: 'body.data.childName', message: expect.any(String) },
          { field: 'body.data.birthDate', message: 'must match format "date"' },
          { field: 'body.data.sex', message: 'is required' },
          { field: 'body.data.birthWeightGrams', message: 'must be integer' },
          { field: 'body.data.mother.name', message: 'is required' },
          { field: 'body.data.mother.subjectId', message: 'must be string' },
          { field: 'body.data.eyeColour', message: 'is not allowed here' },
        ]),
      );
    });

    it('refuses control and bidi characters anywhere in the data, and nesting past 16 levels', async () => {
      expect(
        await failing({ ...birth, data: { ...birthData, childName: '张\u202e小雨' } }),
      ).toEqual([{ field: 'body.data.childName', message: expect.any(String) }]);
      expect(
        await failing({
          ...birth,
          data: { ...birthData, mother: { name: '李娜\u0000', subjectId: subjects.li } },
        }),
      ).toEqual([{ field: 'body.data.mother.name', message: expect.any(String) }]);
      let deep: Record<string, unknown> = {};
      for (let i = 0; i < 20; i++) deep = { d: deep };
      expect(await failing({ ...birth, data: { ...birthData, mother: deep } })).toEqual([
        {
          field: expect.stringMatching(/^body\.data\.mother(\.d)+$/),
          message: 'is nested too deeply',
        },
      ]);
    });

    it('refuses a number JSON cannot carry canonically (1e400) as 400, not 500', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/records',
        headers: {
          authorization: `Bearer ${await w.system('health')}`,
          'content-type': 'application/json',
        },
        payload: `{"type":"birth_record","subjectId":"${subjects.zhang}","data":{"childName":"x","birthDate":"2025-03-14","sex":"male","birthWeightGrams":1e400}}`,
      });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({
        code: 'validation_failed',
        errors: [{ field: 'body.data.birthWeightGrams', message: 'is not a finite number' }],
      });
    });

    it('refuses a subject id that is not identity’s pseudonymous form', async () => {
      const errors = await failing({ ...birth, subjectId: '110101198804123015' });
      expect(errors).toEqual([{ field: 'body.subjectId', message: expect.any(String) }]);
    });
  });
});
