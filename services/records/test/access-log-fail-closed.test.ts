import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessLog } from '../src/db/schema.js';
import { residentHeaders } from './helpers/read-callers.js';
import { type ReadWorld, startReadWorld } from './helpers/read-world.js';

/*
 * Acceptance 3: no entry, no data. The test makes the access log unwritable with a trigger of its
 * own that raises on every INSERT into records.access_log; every read — released or refused —
 * then answers 503 access_log_unavailable and nothing of the record leaves.
 */
describe('the access log fails closed (acceptance 3)', () => {
  let w: ReadWorld;
  let recordId: string;
  const subjectId = 'SubFailClosed001';
  const SECRETS = ['Zhang-Wei-4411', '2030-03-03', 'Chen-Jing-7723'];

  // One statement per call: the drivers prepare each statement on its own.
  const execute = async (...statements: string[]) => {
    for (const statement of statements) await w.t.database.db.execute(sql.raw(statement));
  };
  const breakLog = () =>
    execute(
      `CREATE FUNCTION records.test_refuse_access_log() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         RAISE EXCEPTION 'access log unwritable (test)';
       END;
       $$`,
      `CREATE TRIGGER test_access_log_unwritable BEFORE INSERT ON records.access_log
         FOR EACH ROW EXECUTE FUNCTION records.test_refuse_access_log()`,
    );
  const repairLog = () =>
    execute(
      'DROP TRIGGER test_access_log_unwritable ON records.access_log',
      'DROP FUNCTION records.test_refuse_access_log()',
    );
  const entryCount = async () =>
    (await w.t.database.db.select({ n: sql<number>`count(*)::int` }).from(accessLog))[0]?.n ?? 0;

  beforeAll(async () => {
    w = await startReadWorld();
    await w.createRecordType('health', 'birth_record', ['childName', 'birthDate', 'motherName']);
    await w.createPolicy('health', {
      readerDepartment: 'civil_affairs',
      recordType: 'birth_record',
      purpose: 'household_registration',
      fields: ['childName', 'birthDate'],
      consentRequired: false,
    });
    ({ id: recordId } = await w.publishRecord({
      issuer: 'health',
      type: 'birth_record',
      subjectId,
      versions: [
        { childName: 'Zhang-Wei-4411', birthDate: '2030-03-03', motherName: 'Chen-Jing-7723' },
      ],
    }));
  });
  afterAll(() => w.close());

  it('answers every read with 503 access_log_unavailable and no record data while the log is unwritable', async () => {
    const purpose = 'purpose=household_registration';
    const reads: { url: string; token: () => Promise<Record<string, string>> }[] = [
      ...[
        `/v1/records/${recordId}?${purpose}`,
        `/v1/records/${recordId}?${purpose}&version=1`,
        `/v1/records/${recordId}/versions?${purpose}`,
        `/v1/records?subjectId=${subjectId}&type=birth_record&${purpose}`,
      ].map((url) => ({
        url,
        token: async () => ({
          authorization: `Bearer ${await w.callers.client('civil_affairs', ['records:read'])}`,
        }),
      })),
      {
        url: `/v1/records/${recordId}?purpose=quality_audit`,
        token: async () => ({
          authorization: `Bearer ${await w.callers.client('health', ['records:write'])}`,
        }),
      },
      {
        url: `/v1/records/${recordId}?purpose=self`,
        token: async () =>
          residentHeaders(await w.callers.resident(subjectId), {
            method: 'GET',
            url: `/v1/records/${recordId}?purpose=self`,
          }),
      },
      // A refusal must be logged too: when it cannot be, the caller learns nothing more.
      {
        url: `/v1/records/${recordId}?${purpose}`,
        token: async () => ({
          authorization: `Bearer ${await w.callers.client('fire_safety', ['records:read'])}`,
        }),
      },
    ];

    // Readable before: the reads are real.
    const before = await w.t.app.inject({
      method: 'GET',
      url: reads[0]?.url ?? '',
      headers: await (reads[0]?.token() ?? Promise.resolve({})),
    });
    expect(before.statusCode).toBe(200);
    expect(before.body).toContain('Zhang-Wei-4411');

    const entriesBefore = await entryCount();
    await breakLog();
    try {
      for (const read of reads) {
        const res = await w.t.app.inject({
          method: 'GET',
          url: read.url,
          headers: await read.token(),
        });
        expect(res.statusCode, read.url).toBe(503);
        expect(res.json()).toMatchObject({ code: 'access_log_unavailable' });
        for (const secret of SECRETS) expect(res.body, read.url).not.toContain(secret);
        expect(res.json()).not.toHaveProperty('data');
        expect(res.json()).not.toHaveProperty('items');
        // Nothing about why leaves the process.
        expect(res.body).not.toContain('unwritable');
      }
      expect(await entryCount()).toBe(entriesBefore);
    } finally {
      await repairLog();
    }

    const after = await w.t.app.inject({
      method: 'GET',
      url: reads[0]?.url ?? '',
      headers: await (reads[0]?.token() ?? Promise.resolve({})),
    });
    expect(after.statusCode).toBe(200);
    expect(await entryCount()).toBe(entriesBefore + 1);
  });
});
