import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import {
  adminToken,
  bearer,
  clerkIn,
  Device,
  residentIdNumber,
  residentToken,
} from './helpers/flow.js';

interface EventRow {
  type: string;
  aggregate_type: string;
  aggregate_id: string;
  actor: string;
  actor_department: string | null;
  request_id: string;
  data: Record<string, unknown>;
  payload: Record<string, unknown>;
}

// Every state change writes its event in its own transaction, with who did it and which request
// it was, and the event (which may leave the service as a webhook) carries ids and codes only.
describe('identity state changes write one event each', () => {
  let t: TestApp;
  let admin: string;
  let adminId: string;
  beforeAll(async () => {
    t = await startTestApp();
    admin = await adminToken(t.app);
    adminId = await staffId('admin');
  });
  afterAll(() => t.close());

  const rows = async <T>(query: ReturnType<typeof sql>) =>
    ((await t.database.db.execute(query)) as unknown as { rows: T[] }).rows;
  const staffId = async (username: string) =>
    (await rows<{ id: string }>(sql`select id from identity.staff where username = ${username}`))[0]
      ?.id as string;
  const eventsOf = (requestId: string) =>
    rows<EventRow>(sql`
      select e.type, e.aggregate_type, e.aggregate_id, e.actor, e.actor_department, e.request_id,
             e.data, o.payload
      from identity.events e join identity.outbox o on o.event_id = e.id
      where e.request_id = ${requestId}`);
  const requestId = () => `test-${randomBytes(8).toString('hex')}`;

  /** The one event the request wrote, after checking none of `secrets` is in what was stored. */
  async function onlyEvent(
    id: string,
    data: Record<string, unknown>,
    secrets: string[] = [],
  ): Promise<EventRow> {
    const events = await eventsOf(id);
    expect(events).toHaveLength(1);
    // toMatchObject compares nested objects as subsets; the data must be exactly what is expected.
    expect(events[0]?.data).toEqual(data);
    const stored = JSON.stringify([events[0]?.data, events[0]?.payload]);
    for (const secret of secrets) expect(stored).not.toContain(secret);
    return events[0] as EventRow;
  }

  async function department(): Promise<string> {
    const code = `dept_${randomBytes(4).toString('hex')}`;
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/departments',
      headers: bearer(admin),
      payload: { code, name: { zh: '测试部门', en: 'Test department' } },
    });
    expect(res.statusCode).toBe(201);
    return code;
  }

  it('department.created', async () => {
    const id = requestId();
    const code = `dept_${randomBytes(4).toString('hex')}`;
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/departments',
      headers: { ...bearer(admin), 'x-request-id': id },
      payload: { code, name: { zh: '户籍科', en: 'Household registration office' } },
    });
    expect(res.statusCode).toBe(201);
    const event = await onlyEvent(id, { code });
    expect(event).toMatchObject({
      type: 'department.created',
      aggregate_type: 'department',
      aggregate_id: code,
      actor: `staff:${adminId}`,
      actor_department: 'administration',
      request_id: id,
    });

    // A refused duplicate leaves no event.
    const again = requestId();
    const duplicate = await t.app.inject({
      method: 'POST',
      url: '/v1/departments',
      headers: { ...bearer(admin), 'x-request-id': again },
      payload: { code, name: { zh: '户籍科', en: 'Household registration office' } },
    });
    expect(duplicate.statusCode).toBe(409);
    expect(await eventsOf(again)).toEqual([]);
  });

  it('staff.created, without the username, name or password', async () => {
    const code = await department();
    const id = requestId();
    const username = `clerk-${randomBytes(4).toString('hex')}`;
    const password = `pw-${randomBytes(12).toString('hex')}`;
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/staff',
      headers: { ...bearer(admin), 'x-request-id': id },
      payload: {
        username,
        displayName: 'Wang Fang',
        department: code,
        roles: ['counter_clerk'],
        password,
      },
    });
    expect(res.statusCode).toBe(201);
    const [stored] = await rows<{ password_hash: string }>(
      sql`select password_hash from identity.staff where username = ${username}`,
    );
    const event = await onlyEvent(id, { department: code, roles: ['counter_clerk'] }, [
      username,
      'Wang Fang',
      password,
      stored?.password_hash as string,
      'scrypt$',
    ]);
    expect(event).toMatchObject({
      type: 'staff.created',
      aggregate_type: 'staff',
      aggregate_id: res.json().id,
      actor: `staff:${adminId}`,
      request_id: id,
    });
  });

  it('client.created, without the client secret', async () => {
    const code = await department();
    const id = requestId();
    const clientId = `client_${randomBytes(4).toString('hex')}`;
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/clients',
      headers: { ...bearer(admin), 'x-request-id': id },
      payload: {
        clientId,
        name: 'Case system',
        department: code,
        scopes: ['presentations:verify'],
      },
    });
    expect(res.statusCode).toBe(201);
    const secret = res.json().clientSecret as string;
    const event = await onlyEvent(
      id,
      { clientId, department: code, scopes: ['presentations:verify'] },
      [secret],
    );
    expect(event).toMatchObject({
      type: 'client.created',
      aggregate_id: clientId,
      actor: `staff:${adminId}`,
      request_id: id,
    });
  });

  it('attribute_policy.changed', async () => {
    const code = await department();
    const id = requestId();
    const res = await t.app.inject({
      method: 'PUT',
      url: `/v1/departments/${code}/attribute-policy`,
      headers: { ...bearer(admin), 'x-request-id': id },
      payload: { attributes: ['fullName', 'fullName', 'birthDate'] },
    });
    expect(res.statusCode).toBe(200);
    const event = await onlyEvent(id, { department: code, attributes: ['fullName', 'birthDate'] });
    expect(event).toMatchObject({
      type: 'attribute_policy.changed',
      aggregate_type: 'attribute_policy',
      aggregate_id: code,
      actor: `staff:${adminId}`,
      request_id: id,
    });
  });

  it('resident.enrolled, device.activated and device.revoked, without personal data', async () => {
    const clerk = await clerkIn(t.app, admin);
    const clerkId = await staffId(clerk.username);
    const number = residentIdNumber();

    const enrolId = requestId();
    const enrolled = await t.app.inject({
      method: 'POST',
      url: '/v1/residents',
      headers: { ...bearer(clerk.token), 'x-request-id': enrolId },
      payload: {
        fullName: '李秀英',
        birthDate: '1987-05-21',
        phone: '13912345678',
        idDocument: { type: 'resident_id_card', number },
      },
    });
    expect(enrolled.statusCode).toBe(201);
    const { subjectId, credential, activation } = enrolled.json();
    const personal = [number, number.slice(-6), '李秀英', '1987-05-21', '13912345678'];
    const code = activation.code as string;
    const secrets = [...personal, code, code.replace(/-/g, '')];
    expect(
      await onlyEvent(
        enrolId,
        { credentialId: credential.id, idDocumentType: 'resident_id_card' },
        secrets,
      ),
    ).toMatchObject({
      type: 'resident.enrolled',
      aggregate_type: 'resident',
      aggregate_id: subjectId,
      actor: `staff:${clerkId}`,
      actor_department: clerk.department,
      request_id: enrolId,
    });

    // The device helpers sign with the service's own test clock.
    const device = await Device.create(t.clock);
    const activateId = requestId();
    const activated = await t.app.inject({
      method: 'POST',
      url: '/v1/devices/activate',
      headers: {
        dpop: await device.proof('POST', '/v1/devices/activate'),
        'x-request-id': activateId,
      },
      payload: { activationCode: code, label: 'test phone' },
    });
    expect(activated.statusCode).toBe(201);
    const { deviceId, keyId } = activated.json();
    // A device event names the device, not its resident: the subject id stays out of the data.
    expect(await onlyEvent(activateId, { keyId }, [...secrets, subjectId])).toMatchObject({
      type: 'device.activated',
      aggregate_type: 'device',
      aggregate_id: deviceId,
      actor: `resident:${subjectId}`,
      request_id: activateId,
    });
    // The code is spent: a second activation is refused and writes nothing.
    const replayId = requestId();
    const replay = await t.app.inject({
      method: 'POST',
      url: '/v1/devices/activate',
      headers: {
        dpop: await (await Device.create(t.clock)).proof('POST', '/v1/devices/activate'),
        'x-request-id': replayId,
      },
      payload: { activationCode: code, label: 'second phone' },
    });
    expect(replay.statusCode).toBe(400);
    expect(await eventsOf(replayId)).toEqual([]);

    const token = await residentToken(t.app, device);
    const revokeId = requestId();
    const revoke = async (id: string) =>
      t.app.inject({
        method: 'POST',
        url: `/v1/me/devices/${deviceId}/revoke`,
        headers: {
          authorization: `DPoP ${token}`,
          dpop: await device.proof('POST', `/v1/me/devices/${deviceId}/revoke`, {
            accessToken: token,
          }),
          'x-request-id': id,
        },
      });
    const revoked = await revoke(revokeId);
    expect(revoked.statusCode).toBe(200);
    expect(
      await onlyEvent(revokeId, { keyId, by: 'resident' }, [...secrets, subjectId]),
    ).toMatchObject({
      type: 'device.revoked',
      aggregate_id: deviceId,
      actor: `resident:${subjectId}`,
      request_id: revokeId,
    });
    // The revoked device's token is dead at once: revoking again is refused and records nothing.
    const againId = requestId();
    expect((await revoke(againId)).statusCode).toBe(401);
    expect(await eventsOf(againId)).toEqual([]);
  });
});
