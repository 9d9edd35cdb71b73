import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import QRCode from 'qrcode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import {
  activate,
  adminToken,
  asResident,
  clerkIn,
  Device,
  enrol,
  presentation,
  requestPresentation,
  residentToken,
  residentWithDevice,
  verify,
} from './helpers/flow.js';

// One service for the file: every test enrols its own residents, so they share nothing else.
let t: TestApp;
let clerk: string;
beforeAll(async () => {
  t = await startTestApp();
  clerk = (await clerkIn(t.app, await adminToken(t.app))).token;
});
afterAll(() => t.close());

describe('enrol → activate → present → verify, over HTTP', () => {
  it('verifies the resident from a QR code decoded by an independent reader', async () => {
    const enrolled = await enrol(t.app, clerk, { fullName: '李四', birthDate: '1985-12-01' });
    expect(enrolled.statusCode).toBe(201);
    const { subjectId, activation, credential } = enrolled.json();
    expect(subjectId).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(activation.code).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
    expect(activation.qrSvg).toContain('<svg');
    expect(activation.qrPng).toMatch(/^data:image\/png;base64,/);

    const device = await Device.create(t.clock, 'ES256');
    const activated = await activate(t.app, activation.code, device);
    expect(activated.statusCode).toBe(201);
    expect(activated.json()).toMatchObject({ subjectId, credential: { id: credential.id } });

    const token = await residentToken(t.app, device);
    const presented = await presentation(t.app, device, token);

    const png = await t.app.inject({ method: 'GET', url: `/v1/presentations/${presented}/qr.png` });
    expect(png.statusCode).toBe(200);
    expect(png.headers['content-type']).toBe('image/png');
    const image = PNG.sync.read(png.rawPayload);
    // jsqr is CommonJS whose types describe an ES default export.
    const decoded = jsQR.default(new Uint8ClampedArray(image.data), image.width, image.height);
    expect(decoded?.data).toBe(presented);

    const verified = await verify(t.app, clerk, decoded?.data ?? '');
    expect(verified.statusCode).toBe(200);
    expect(verified.json()).toMatchObject({
      subjectId,
      credentialId: credential.id,
      attributes: { fullName: '李四', birthDate: '1985-12-01', idDocumentType: 'resident_id_card' },
    });
    expect(verified.json().attributes.idNumberMasked).toMatch(/^110\*+\w{4}$/);
    // Phone is not in the default policy: a counter sees who you are, not how to call you.
    expect(verified.json().attributes.phone).toBeUndefined();

    const svg = await t.app.inject({ method: 'GET', url: `/v1/presentations/${presented}/qr.svg` });
    expect(svg.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(svg.body).toContain('<svg');
  });

  it('lets the resident see who verified them, when and where', async () => {
    const { device, token } = await residentWithDevice(t, clerk, 'EdDSA');
    expect((await verify(t.app, clerk, await presentation(t.app, device, token))).statusCode).toBe(
      200,
    );
    const mine = await asResident(t.app, { device, token }, 'GET', '/v1/me/verifications');
    expect(mine.statusCode).toBe(200);
    expect(mine.json().items).toHaveLength(1);
    expect(mine.json().items[0]).toMatchObject({
      counter: 'window-3',
      verifier: { kind: 'staff' },
    });
  });

  it('keeps the token small: ≤ 400 characters and QR version ≤ 15 at ECC M', async () => {
    const { device, token } = await residentWithDevice(t, clerk);
    const presented = await presentation(t.app, device, token);
    const version = QRCode.create(presented, { errorCorrectionLevel: 'M' }).version;
    console.info(
      `presentation token: ${presented.length} characters, QR version ${version} at ECC M`,
    );
    expect(presented.length).toBeLessThanOrEqual(400);
    expect(version).toBeLessThanOrEqual(15);
    const payload = JSON.parse(Buffer.from(presented.split('.')[1] ?? '', 'base64url').toString());
    expect(Object.keys(payload).sort()).toEqual(['cnf', 'exp', 'iat', 'iss', 'jti', 'sl', 'sub']);
    expect(presented).not.toMatch(/110101|张三|13800138000/);
  });
});

describe('single use', () => {
  it('accepts exactly one of 50 parallel verifications of one code', async () => {
    const { device, token } = await residentWithDevice(t, clerk);
    const presented = await presentation(t.app, device, token);
    const results = await Promise.all(
      Array.from({ length: 50 }, () => verify(t.app, clerk, presented)),
    );
    const codes = results.map((r) => (r.statusCode === 200 ? 'ok' : r.json().code));
    expect(codes.filter((c) => c === 'ok')).toHaveLength(1);
    expect(codes.filter((c) => c === 'presentation_replayed')).toHaveLength(49);
  });
});

describe('expiry', () => {
  it('refuses a code verified 61 s after issue with presentation_expired', async () => {
    const { device, token } = await residentWithDevice(t, clerk);
    const presented = await presentation(t.app, device, token);
    t.clock.advance(61_000);
    const res = await verify(t.app, clerk, presented);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('presentation_expired');
    t.clock.advance(-61_000);
  });

  it('accepts a code verified 59 s after issue', async () => {
    const { device, token } = await residentWithDevice(t, clerk);
    const presented = await presentation(t.app, device, token);
    t.clock.advance(59_000);
    expect((await verify(t.app, clerk, presented)).statusCode).toBe(200);
    t.clock.advance(-59_000);
  });
});

describe('POST /v1/presentations authorization', () => {
  it('refuses a presentation for another subject', async () => {
    const a = await residentWithDevice(t, clerk);
    const b = await residentWithDevice(t, clerk);
    const res = await requestPresentation(t.app, a.device, a.token, {
      subjectId: b.enrolled.subjectId,
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('forbidden');
  });

  it('refuses a proof signed by another device than the token is bound to', async () => {
    const a = await residentWithDevice(t, clerk);
    const b = await residentWithDevice(t, clerk);
    const res = await requestPresentation(t.app, b.device, a.token);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('invalid_dpop_proof');
  });

  it('refuses a replayed device proof', async () => {
    const a = await residentWithDevice(t, clerk);
    const proof = await a.device.proof('POST', '/v1/presentations', { accessToken: a.token });
    const send = () =>
      t.app.inject({
        method: 'POST',
        url: '/v1/presentations',
        headers: { authorization: `DPoP ${a.token}`, dpop: proof },
        payload: {},
      });
    expect((await send()).statusCode).toBe(201);
    const again = await send();
    expect(again.statusCode).toBe(401);
    expect(again.json().code).toBe('invalid_dpop_proof');
  });

  it('refuses a request without a device proof', async () => {
    const a = await residentWithDevice(t, clerk);
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/presentations',
      headers: { authorization: `DPoP ${a.token}` },
      payload: {},
    });
    expect(res.statusCode).toBe(401);
  });

  it('refuses staff', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/presentations',
      headers: { authorization: `Bearer ${clerk}` },
    });
    expect(res.statusCode).toBe(403);
  });

  it('stops issuing to a revoked device: its token is dead at once', async () => {
    const a = await residentWithDevice(t, clerk);
    const devices = await asResident(t.app, a, 'GET', '/v1/me/devices');
    const id = devices.json().items[0].id;
    const revoked = await asResident(t.app, a, 'POST', `/v1/me/devices/${id}/revoke`);
    expect(revoked.json().revokedAt).not.toBeNull();
    const res = await requestPresentation(t.app, a.device, a.token);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('unauthorized');
    expect(res.headers['www-authenticate']).toBe('DPoP error="invalid_token"');
  });

  it('refuses at the counter a code shown before its device was revoked, with device_revoked', async () => {
    const a = await residentWithDevice(t, clerk);
    const minted = await presentation(t.app, a.device, a.token);
    const devices = await asResident(t.app, a, 'GET', '/v1/me/devices');
    await asResident(t.app, a, 'POST', `/v1/me/devices/${devices.json().items[0].id}/revoke`);
    const res = await verify(t.app, clerk, minted);
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('device_revoked');
  });
});
