import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import { activate, adminToken, bearer, clerkIn, Device, residentIdNumber } from './helpers/flow.js';

describe('POST /v1/residents with Idempotency-Key', () => {
  let t: TestApp;
  let clerk: string;
  beforeAll(async () => {
    t = await startTestApp();
    clerk = (await clerkIn(t.app, await adminToken(t.app))).token;
  });
  afterAll(() => t.close());

  const body = () => ({
    fullName: '王五',
    birthDate: '1979-05-04',
    phone: '13900139000',
    idDocument: { type: 'resident_id_card', number: residentIdNumber() },
  });
  const send = (payload: unknown, key: string) =>
    t.app.inject({
      method: 'POST',
      url: '/v1/residents',
      headers: { ...bearer(clerk), 'idempotency-key': key },
      payload: payload as Record<string, unknown>,
    });

  it('replays the same resident and a working activation code to a retry', async () => {
    const payload = body();
    const first = await send(payload, 'enrol-0001');
    const retry = await send(payload, 'enrol-0001');
    expect(first.statusCode).toBe(201);
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json()).toEqual(first.json());
    expect(
      (await activate(t.app, retry.json().activation.code, await Device.create(t.clock)))
        .statusCode,
    ).toBe(201);
  });

  it('keeps the replayed response sealed at rest', async () => {
    const first = await send(body(), 'enrol-0002');
    const code = first.json().activation.code as string;
    const stored = await t.database.db.execute(
      sql`select response_body::text as b from identity.idempotency_keys`,
    );
    expect(JSON.stringify(stored)).not.toContain(code);
  });

  it('refuses the same key with another body with 422 idempotency_conflict', async () => {
    await send(body(), 'enrol-0003');
    const other = await send(body(), 'enrol-0003');
    expect(other.statusCode).toBe(422);
    expect(other.json().code).toBe('idempotency_conflict');
  });

  it('still refuses a second enrolment of the same document without a key', async () => {
    const payload = body();
    expect((await send(payload, 'enrol-0004')).statusCode).toBe(201);
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/residents',
      headers: bearer(clerk),
      payload,
    });
    expect(res.json().code).toBe('already_enrolled');
  });
});
