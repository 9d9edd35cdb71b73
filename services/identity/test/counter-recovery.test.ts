import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import {
  activate,
  adminToken,
  asResident,
  bearer,
  clerkIn,
  Device,
  enrol,
  presentation,
  residentIdNumber,
  residentToken,
  residentWithDevice,
  verify,
} from './helpers/flow.js';

let t: TestApp;
let admin: string;
let clerk: { token: string; department: string };

beforeAll(async () => {
  t = await startTestApp();
  admin = await adminToken(t.app);
  clerk = await clerkIn(t.app, admin);
});
afterAll(() => t.close());

const rows = async <T>(query: ReturnType<typeof sql>) =>
  ((await t.database.db.execute(query)) as unknown as { rows: T[] }).rows;

function newCode(subjectId: string, key?: string, token = clerk.token) {
  return t.app.inject({
    method: 'POST',
    url: `/v1/residents/${subjectId}/activation-codes`,
    headers: { ...bearer(token), ...(key ? { 'idempotency-key': key } : {}) },
  });
}

describe('a way back after the only device is revoked', () => {
  it('lets a counter issue a new activation code that activates a new phone; the old code stays refused (defect 2)', async () => {
    const idNumber = residentIdNumber();
    const enrolled = await enrol(t.app, clerk.token, {
      idDocument: { type: 'resident_id_card', number: idNumber },
    });
    const { subjectId, activation } = enrolled.json();
    const oldPhone = await Device.create(t.clock);
    expect((await activate(t.app, activation.code, oldPhone)).statusCode).toBe(201);
    const oldToken = await residentToken(t.app, oldPhone);
    const me = { device: oldPhone, token: oldToken };
    const [device] = (await asResident(t.app, me, 'GET', '/v1/me/devices')).json().items;
    expect(
      (await asResident(t.app, me, 'POST', `/v1/me/devices/${device.id}/revoke`)).statusCode,
    ).toBe(200);

    // Before: enrolling again is refused, and the resident has no device left.
    const again = await enrol(t.app, clerk.token, {
      idDocument: { type: 'resident_id_card', number: idNumber },
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('already_enrolled');

    // The counter finds the resident by the ID card and prints a new code.
    const found = await t.app.inject({
      method: 'POST',
      url: '/v1/residents/lookup',
      headers: bearer(clerk.token),
      payload: { idDocumentType: 'resident_id_card', idNumber },
    });
    expect(found.statusCode).toBe(200);
    expect(found.json()).toEqual({
      subjectId,
      idDocumentType: 'resident_id_card',
      idNumberMasked: expect.stringMatching(/^110\*+\w{4}$/),
    });
    const requestId = randomUUID();
    const issued = await t.app.inject({
      method: 'POST',
      url: `/v1/residents/${subjectId}/activation-codes`,
      headers: {
        ...bearer(clerk.token),
        'idempotency-key': randomUUID(),
        'x-request-id': requestId,
      },
    });
    expect(issued.statusCode).toBe(201);
    expect(issued.headers['cache-control']).toBe('no-store');
    const { code } = issued.json().activation;
    expect(code).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
    expect(issued.json().activation.qrSvg).toContain('<svg');

    // Audited on the state-change path, without the code.
    const events = await rows<{ type: string; data: Record<string, unknown>; actor: string }>(
      sql`select type, data, actor from identity.events where request_id = ${requestId}`,
    );
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'activation_code.issued' });
    expect(JSON.stringify(events[0])).not.toContain(code);
    expect(JSON.stringify(events[0])).not.toContain(code.replace(/-/g, ''));

    // The old (used) code is refused; the new one activates a new phone that gets a QR.
    expect((await activate(t.app, activation.code, await Device.create(t.clock))).statusCode).toBe(
      400,
    );
    const newPhone = await Device.create(t.clock, 'EdDSA');
    const activated = await activate(t.app, code, newPhone);
    expect(activated.statusCode).toBe(201);
    expect(activated.json().subjectId).toBe(subjectId);
    const newToken = await residentToken(t.app, newPhone);
    const qr = await presentation(t.app, newPhone, newToken);
    expect((await verify(t.app, clerk.token, qr)).statusCode).toBe(200);
    // The new code worked once.
    const reused = await activate(t.app, code, await Device.create(t.clock));
    expect(reused.statusCode).toBe(400);
    expect(reused.json().code).toBe('activation_code_invalid');

    // The resident sees where it happened.
    const history = await asResident(
      t.app,
      { device: newPhone, token: newToken },
      'GET',
      '/v1/me/events',
    );
    expect(history.statusCode).toBe(200);
    const issuedEvent = history
      .json()
      .items.find((e: { type: string }) => e.type === 'activation_code.issued');
    expect(issuedEvent).toMatchObject({
      by: 'counter',
      department: { code: clerk.department },
      summary: { en: 'a new activation code was issued at Test department counter' },
    });
    // The test clock stands still, so compare what happened, not in which order.
    expect(
      history
        .json()
        .items.map((e: { type: string }) => e.type)
        .sort(),
    ).toEqual([
      'activation_code.issued',
      'device.activated',
      'device.activated',
      'device.revoked',
      'resident.enrolled',
    ]);
  });

  it('invalidates the earlier unused codes of the resident', async () => {
    const enrolled = (await enrol(t.app, clerk.token)).json();
    const first = (await newCode(enrolled.subjectId)).json().activation.code;
    const second = (await newCode(enrolled.subjectId)).json().activation.code;
    const refusedEnrolmentCode = await activate(
      t.app,
      enrolled.activation.code,
      await Device.create(t.clock),
    );
    expect(refusedEnrolmentCode.json().code).toBe('activation_code_invalid');
    expect((await activate(t.app, first, await Device.create(t.clock))).statusCode).toBe(400);
    expect((await activate(t.app, second, await Device.create(t.clock))).statusCode).toBe(201);
  });

  it('gives a retry with the same Idempotency-Key the same code, and keeps it sealed at rest', async () => {
    const enrolled = (await enrol(t.app, clerk.token)).json();
    const key = randomUUID();
    const a = await newCode(enrolled.subjectId, key);
    const b = await newCode(enrolled.subjectId, key);
    expect(a.statusCode).toBe(201);
    expect(b.statusCode).toBe(201);
    const code = a.json().activation.code;
    expect(b.json().activation.code).toBe(code);
    const stored = await rows<{ body: unknown }>(
      sql`select * from identity.idempotency_keys where key = ${key}`,
    );
    expect(stored).toHaveLength(1);
    expect(JSON.stringify(stored)).not.toContain(code);
    expect((await activate(t.app, code, await Device.create(t.clock))).statusCode).toBe(201);
  });

  it('refuses other roles, residents and unknown subjects', async () => {
    const enrolled = (await enrol(t.app, clerk.token)).json();
    const departmentAdmin = await clerkIn(t.app, admin, { roles: ['department_admin'] });
    expect((await newCode(enrolled.subjectId, undefined, departmentAdmin.token)).statusCode).toBe(
      403,
    );
    const unknown = await newCode('AAAAAAAAAAAAAAAA');
    expect(unknown.statusCode).toBe(404);
    expect((await newCode('not-a-subject')).statusCode).toBe(400);
    const r = await residentWithDevice(t, clerk.token);
    const asThem = await t.app.inject({
      method: 'POST',
      url: `/v1/residents/${r.enrolled.subjectId}/activation-codes`,
      headers: {
        authorization: `DPoP ${r.token}`,
        dpop: await r.device.proof(
          'POST',
          `/v1/residents/${r.enrolled.subjectId}/activation-codes`,
          {
            accessToken: r.token,
          },
        ),
      },
    });
    expect(asThem.statusCode).toBe(403);
    const lookup = await t.app.inject({
      method: 'POST',
      url: '/v1/residents/lookup',
      headers: bearer(clerk.token),
      payload: { idDocumentType: 'resident_id_card', idNumber: residentIdNumber() },
    });
    expect(lookup.statusCode).toBe(404);
    expect(lookup.json().code).toBe('not_found');
  });
});

describe("the resident's devices at the counter", () => {
  it('lists and revokes them with a reason; the token dies and the resident sees it (defect 2)', async () => {
    const r = await residentWithDevice(t, clerk.token);
    const { subjectId } = r.enrolled;
    const listed = await t.app.inject({
      method: 'GET',
      url: `/v1/residents/${subjectId}/devices`,
      headers: bearer(clerk.token),
    });
    expect(listed.statusCode).toBe(200);
    expect(listed.json().items).toEqual([
      expect.objectContaining({ id: r.deviceId, revokedAt: null, revokedBy: null }),
    ]);

    const requestId = randomUUID();
    const revoke = (id: string) =>
      t.app.inject({
        method: 'POST',
        url: `/v1/residents/${subjectId}/devices/${r.deviceId}/revoke`,
        headers: { ...bearer(clerk.token), 'x-request-id': id },
        payload: { reason: 'phone stolen, resident checked in person' },
      });
    const revoked = await revoke(requestId);
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json()).toMatchObject({ id: r.deviceId, revokedBy: 'counter' });
    expect(revoked.json().revokedAt).not.toBeNull();
    const events = await rows<{ type: string; data: Record<string, unknown> }>(
      sql`select type, data from identity.events where request_id = ${requestId}`,
    );
    expect(events).toEqual([
      { type: 'device.revoked', data: { keyId: expect.any(String), by: 'counter' } },
    ]);
    // Again: the same answer, no second event.
    const againId = randomUUID();
    expect((await revoke(againId)).statusCode).toBe(200);
    expect(await rows(sql`select 1 from identity.events where request_id = ${againId}`)).toEqual(
      [],
    );

    // The phone's token is dead at once.
    const dead = await asResident(t.app, r, 'GET', '/v1/me/verifications');
    expect(dead.statusCode).toBe(401);

    // After a new code and a new phone, the resident sees the counter's revocation.
    const code = (await newCode(subjectId)).json().activation.code;
    const phone = await Device.create(t.clock);
    expect((await activate(t.app, code, phone)).statusCode).toBe(201);
    const history = await asResident(
      t.app,
      { device: phone, token: await residentToken(t.app, phone) },
      'GET',
      '/v1/me/events',
    );
    const revocation = history
      .json()
      .items.find((e: { type: string }) => e.type === 'device.revoked');
    expect(revocation).toMatchObject({
      by: 'counter',
      department: { code: clerk.department },
      summary: { en: 'device revoked at Test department counter' },
    });
  });

  it("answers 404 for another resident's device, and needs a reason", async () => {
    const a = await residentWithDevice(t, clerk.token);
    const b = await residentWithDevice(t, clerk.token);
    const cross = await t.app.inject({
      method: 'POST',
      url: `/v1/residents/${a.enrolled.subjectId}/devices/${b.deviceId}/revoke`,
      headers: bearer(clerk.token),
      payload: { reason: 'wrong resident' },
    });
    expect(cross.statusCode).toBe(404);
    const noReason = await t.app.inject({
      method: 'POST',
      url: `/v1/residents/${a.enrolled.subjectId}/devices/${a.deviceId}/revoke`,
      headers: bearer(clerk.token),
      payload: {},
    });
    expect(noReason.statusCode).toBe(400);
    expect((await asResident(t.app, b, 'GET', '/v1/me/devices')).statusCode).toBe(200);
  });
});
