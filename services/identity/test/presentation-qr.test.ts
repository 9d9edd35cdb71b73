import { generateKeyPair, SignJWT } from 'jose';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QR_RATE_LIMIT_PER_MINUTE } from '../src/domain/presentations/presentation-qr.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { adminToken, clerkIn, presentation, residentWithDevice } from './helpers/flow.js';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('GET /v1/presentations/{token}/qr.png|svg', () => {
  let t: TestApp;
  let genuine: string;
  let resident: Awaited<ReturnType<typeof residentWithDevice>>;
  let address = 0;
  /** Each test from an address of its own, so the per-address limit of one never meets another. */
  const qr = (token: string, format: 'png' | 'svg', remoteAddress = `198.51.100.${++address}`) =>
    t.app.inject({ method: 'GET', url: `/v1/presentations/${token}/qr.${format}`, remoteAddress });

  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_MAX: '100000' });
    const clerk = (await clerkIn(t.app, await adminToken(t.app))).token;
    resident = await residentWithDevice(t, clerk);
    genuine = await presentation(t.app, resident.device, resident.token);
  });
  afterAll(() => t.close());

  it('refuses a 2,400-character JWS-shaped path with a 4xx problem, not a 500 (defect 4)', async () => {
    const long = `${'a'.repeat(40)}.${'b'.repeat(2_300)}.${'c'.repeat(58)}`;
    expect(long.length).toBeGreaterThan(2_390);
    for (const format of ['png', 'svg'] as const) {
      const res = await qr(long, format);
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json().code).toBe('validation_failed');
    }
  });

  it('refuses a JWS-shaped forgery of 2,000 characters without rendering it (defect 4)', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const [h] = genuine.split('.');
    const forged = await new SignJWT({ filler: 'x'.repeat(1_300) })
      .setProtectedHeader(JSON.parse(Buffer.from(h ?? '', 'base64url').toString()))
      .sign(privateKey);
    const unsigned = `${b64({ alg: 'EdDSA', typ: 'tb-presentation+jwt', kid: 'k' })}.${'A'.repeat(1_800)}.${'B'.repeat(86)}`;
    for (const token of [forged, unsigned, 'aaaa.bbbb.cccc']) {
      expect(token.length).toBeLessThanOrEqual(2_048);
      const res = await qr(token, 'png');
      expect(res.statusCode, token.slice(0, 40)).toBeGreaterThanOrEqual(400);
      expect(res.statusCode).toBeLessThan(500);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(['malformed_token', 'signature_invalid', 'unknown_key']).toContain(res.json().code);
    }
  });

  it('refuses a genuine token once it has expired by the service clock', async () => {
    const stale = await presentation(t.app, resident.device, resident.token);
    t.clock.advance(5 * 60_000);
    try {
      const res = await qr(stale, 'svg');
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('presentation_expired');
    } finally {
      t.clock.advance(-5 * 60_000);
    }
  });

  it('renders a live token of this issuer as SVG and as a PNG that decodes to the token', async () => {
    const svg = await qr(genuine, 'svg');
    expect(svg.statusCode).toBe(200);
    expect(svg.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(svg.body).toContain('<svg');
    const png = await qr(genuine, 'png');
    expect(png.statusCode).toBe(200);
    expect(png.headers['content-type']).toBe('image/png');
    const image = PNG.sync.read(png.rawPayload);
    const decoded = jsQR.default(new Uint8ClampedArray(image.data), image.width, image.height);
    expect(decoded?.data).toBe(genuine);
    // The cached copy is the same image.
    expect((await qr(genuine, 'png')).rawPayload.equals(png.rawPayload)).toBe(true);
  });

  it(`answers 429 rate_limited past ${QR_RATE_LIMIT_PER_MINUTE} images a minute from one address (defect 4)`, async () => {
    const from = '203.0.113.7';
    for (let i = 0; i < QR_RATE_LIMIT_PER_MINUTE; i++) {
      expect((await qr(genuine, 'svg', from)).statusCode).toBe(200);
    }
    const limited = await qr(genuine, 'svg', from);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(limited.json().code).toBe('rate_limited');
    // Another address is not held back by this one.
    expect((await qr(genuine, 'svg', '203.0.113.8')).statusCode).toBe(200);
  });
});
