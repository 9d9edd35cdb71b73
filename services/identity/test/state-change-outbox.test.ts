import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import { adminToken, bearer, clerkIn, enrol } from './helpers/flow.js';

// One state change, one event, one outbox row: all three commit together or none does.
describe('POST /v1/credentials/{id}/suspend, on the state-change path', () => {
  let t: TestApp;
  let clerk: string;
  let departmentAdmin: string;
  beforeAll(async () => {
    t = await startTestApp();
    const admin = await adminToken(t.app);
    const counter = await clerkIn(t.app, admin);
    clerk = counter.token;
    // Only the enrolling department's administrators change its credentials.
    departmentAdmin = (
      await clerkIn(t.app, admin, { department: counter.department, roles: ['department_admin'] })
    ).token;
  });
  afterAll(() => t.close());

  const rows = async <T>(query: ReturnType<typeof sql>) =>
    ((await t.database.db.execute(query)) as unknown as { rows: T[] }).rows;
  const suspend = (id: string, headers: Record<string, string> = {}) =>
    t.app.inject({
      method: 'POST',
      url: `/v1/credentials/${id}/suspend`,
      headers: { ...bearer(departmentAdmin), ...headers },
      payload: { reason: 'lost phone reported' },
    });
  const eventsOf = (id: string) =>
    rows<{ id: string; type: string; aggregate_version: number; actor: string }>(
      sql`select id, type, aggregate_version, actor from identity.events where aggregate_id = ${id}`,
    );
  const outboxOf = (eventIds: string[]) =>
    eventIds.length === 0
      ? Promise.resolve([])
      : rows<{ event_id: string; type: string; payload: Record<string, unknown> }>(
          sql`select event_id, type, payload from identity.outbox where event_id in (${sql.join(
            eventIds.map((e) => sql`${e}::uuid`),
            sql`, `,
          )})`,
        );

  it('rolls the change back when the outbox row cannot be written, and commits all three once it can', async () => {
    const enrolled = await enrol(t.app, clerk);
    expect(enrolled.statusCode).toBe(201);
    const id = enrolled.json().credential.id as string;

    await t.database.db.execute(sql`
      create function identity.test_refuse_outbox() returns trigger language plpgsql as $$
      begin raise exception 'outbox unavailable (secret internal detail)'; end; $$`);
    await t.database.db.execute(sql`
      create trigger test_refuse_outbox before insert on identity.outbox
      for each row execute function identity.test_refuse_outbox()`);

    const refused = await suspend(id);
    expect(refused.statusCode).toBe(500);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.json().code).toBe('internal_error');
    expect(refused.body).not.toMatch(/outbox|secret internal detail|identity\./);

    const unchanged = await t.app.inject({
      method: 'GET',
      url: `/v1/credentials/${id}`,
      headers: bearer(departmentAdmin),
    });
    expect(unchanged.json()).toMatchObject({ status: 'valid', version: 1 });
    expect(await eventsOf(id)).toEqual([]);
    const audit = await rows(
      sql`select 1 from identity.credential_events where credential_id = ${id}`,
    );
    expect(audit).toEqual([]);

    await t.database.db.execute(sql`drop trigger test_refuse_outbox on identity.outbox`);
    await t.database.db.execute(sql`drop function identity.test_refuse_outbox()`);

    const done = await suspend(id, { 'if-match': unchanged.headers.etag as string });
    expect(done.statusCode).toBe(200);
    expect(done.json()).toMatchObject({ status: 'suspended', version: 2 });
    const events = await eventsOf(id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'credential.suspended', aggregate_version: 2 });
    expect(events[0]?.actor).toMatch(/^staff:/);
    const outbox = await outboxOf(events.map((e) => e.id));
    expect(outbox).toHaveLength(1);
    expect(outbox[0]).toMatchObject({ event_id: events[0]?.id, type: 'credential.suspended' });
    expect(outbox[0]?.payload).toMatchObject({
      aggregate: { type: 'credential', id, version: 2 },
      fromStatus: 'valid',
      toStatus: 'suspended',
    });
  });

  it('keeps the event log append-only in the database', async () => {
    const enrolled = await enrol(t.app, clerk);
    const id = enrolled.json().credential.id as string;
    expect((await suspend(id)).statusCode).toBe(200);
    await expect(
      t.database.db.execute(sql`update identity.events set type = 'x' where aggregate_id = ${id}`),
    ).rejects.toThrow();
    await expect(
      t.database.db.execute(sql`delete from identity.events where aggregate_id = ${id}`),
    ).rejects.toThrow();
    expect(await eventsOf(id)).toHaveLength(1);
  });

  it('answers a malformed If-Match with 400 and a weak or foreign one with 412', async () => {
    const enrolled = await enrol(t.app, clerk);
    const id = enrolled.json().credential.id as string;
    const malformed = await suspend(id, { 'if-match': 'v1' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().code).toBe('validation_failed');
    const weak = await suspend(id, { 'if-match': `W/"${id}.v1"` });
    expect(weak.statusCode).toBe(412);
    expect(weak.json().code).toBe('version_conflict');
    const listed = await suspend(id, { 'if-match': `"other.v1", "${id}.v1"` });
    expect(listed.statusCode).toBe(200);
    expect(await eventsOf(id)).toHaveLength(1);
  });
});
