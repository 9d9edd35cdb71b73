import { randomBytes } from 'node:crypto';
import type { Database } from '@tongban/db';
import type { ServiceInstance } from '@tongban/service-kit';
import { type TestIssuer, testIssuer } from '@tongban/test-tokens';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { type SharedDatabase, sharedDatabase } from './helpers/shared-database.js';

// Record-type creation runs inside the Idempotency-Key transaction: key, row, event and outbox
// row commit together or not at all.
describe('POST /v1/record-types, on the state-change path', () => {
  const clock = () => new Date();
  let shared: SharedDatabase;
  let database: Database;
  let app: ServiceInstance;
  let issuer: TestIssuer;
  beforeAll(async () => {
    shared = await sharedDatabase();
    database = await shared.open();
    issuer = await testIssuer(clock);
    app = await buildApp({
      config: loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' }, process.cwd()),
      database,
      clock,
      keyResolver: issuer.keyResolver,
      masterKey: randomBytes(32),
      webhookSealKey: randomBytes(32),
      webhookWorker: false,
    });
  });
  afterAll(async () => {
    await app.close();
    await shared.close();
  });

  const rows = async <T>(query: ReturnType<typeof sql>) =>
    ((await database.db.execute(query)) as unknown as { rows: T[] }).rows;
  const create = async (code: string, key: string) =>
    app.inject({
      method: 'POST',
      url: '/v1/record-types',
      headers: {
        authorization: `Bearer ${await issuer.staff('health', ['department_admin'])}`,
        'idempotency-key': key,
      },
      payload: {
        code,
        name: { zh: '出生医学证明', en: 'Birth record' },
        fieldSchema: { type: 'object', properties: { childName: { type: 'string' } } },
        classification: { childName: 'personal' },
      },
    });

  it('creates nothing, records nothing and frees the key when the outbox insert fails', async () => {
    await database.db.execute(sql`
      create function records.test_refuse_outbox() returns trigger language plpgsql as $$
      begin raise exception 'outbox unavailable (secret internal detail)'; end; $$`);
    await database.db.execute(sql`
      create trigger test_refuse_outbox before insert on records.outbox
      for each row execute function records.test_refuse_outbox()`);

    const refused = await create('birth_record', 'rt-outbox-1');
    expect(refused.statusCode).toBe(500);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.json().code).toBe('internal_error');
    expect(refused.body).not.toMatch(/outbox|secret internal detail|records\./);
    expect(await rows(sql`select 1 from records.record_types where code = 'birth_record'`)).toEqual(
      [],
    );
    expect(await rows(sql`select 1 from records.events`)).toEqual([]);
    expect(await rows(sql`select 1 from records.idempotency_keys`)).toEqual([]);

    await database.db.execute(sql`drop trigger test_refuse_outbox on records.outbox`);
    await database.db.execute(sql`drop function records.test_refuse_outbox()`);

    const created = await create('birth_record', 'rt-outbox-1');
    expect(created.statusCode).toBe(201);
    const events = await rows<{
      id: string;
      type: string;
      aggregate_id: string;
      request_id: string;
    }>(sql`select id, type, aggregate_id, request_id from records.events`);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'record_type.created', aggregate_id: 'birth_record' });
    expect(events[0]?.request_id).toBe(created.headers['x-request-id']);
    const outbox = await rows<{ event_id: string; payload: Record<string, unknown> }>(
      sql`select event_id, payload from records.outbox`,
    );
    expect(outbox).toEqual([
      {
        event_id: events[0]?.id,
        payload: expect.objectContaining({
          aggregate: { type: 'record_type', id: 'birth_record', version: 1 },
          code: 'birth_record',
          issuerDepartment: 'health',
        }),
      },
    ]);

    // A retry with the same key replays; it does not record the change twice.
    const replay = await create('birth_record', 'rt-outbox-1');
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(await rows(sql`select 1 from records.events`)).toHaveLength(1);
  });
});
