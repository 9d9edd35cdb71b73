import { randomBytes, randomInt } from 'node:crypto';
import type { ServiceInstance } from '@tongban/service-kit';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { ADMIN_PASSWORD, PUBLIC_URL, type TestApp } from './app.js';

type Inject = ServiceInstance['inject'];
type Response = Awaited<ReturnType<Inject>>;

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/** A fresh, well-formed resident ID card number (GB 11643 check digit). */
export function residentIdNumber(): string {
  const year = 1950 + randomInt(60);
  const body = `110101${year}${String(1 + randomInt(12)).padStart(2, '0')}${String(1 + randomInt(28)).padStart(2, '0')}${String(randomInt(1000)).padStart(3, '0')}`;
  const sum = WEIGHTS.reduce((acc, w, i) => acc + w * Number(body[i]), 0);
  return body + '10X98765432'[sum % 11];
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export async function login(
  app: ServiceInstance,
  username: string,
  password: string,
): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/auth/login',
    payload: { username, password },
  });
  if (res.statusCode !== 200) throw new Error(`login ${username}: ${res.statusCode} ${res.body}`);
  return res.json().accessToken;
}

export const adminToken = (app: ServiceInstance) => login(app, 'admin', ADMIN_PASSWORD);

let seq = 0;

/** A department with one counter clerk; returns the clerk's token. */
export async function clerkIn(
  app: ServiceInstance,
  admin: string,
  {
    department = `dept_${++seq}_${randomBytes(3).toString('hex')}`,
    roles = ['counter_clerk'],
  }: { department?: string; roles?: string[] } = {},
): Promise<{ token: string; department: string; username: string }> {
  await app.inject({
    method: 'POST',
    url: '/v1/departments',
    headers: bearer(admin),
    payload: { code: department, name: { zh: '测试部门', en: 'Test department' } },
  });
  const username = `clerk-${++seq}-${randomBytes(3).toString('hex')}`;
  const password = `pw-${randomBytes(12).toString('hex')}`;
  const created = await app.inject({
    method: 'POST',
    url: '/v1/staff',
    headers: bearer(admin),
    payload: { username, displayName: 'Clerk', department, roles, password },
  });
  if (created.statusCode !== 201) throw new Error(`create staff: ${created.body}`);
  return { token: await login(app, username, password), department, username };
}

export async function enrol(
  app: ServiceInstance,
  clerk: string,
  overrides: Record<string, unknown> = {},
): Promise<Response> {
  return app.inject({
    method: 'POST',
    url: '/v1/residents',
    headers: bearer(clerk),
    payload: {
      fullName: '张三',
      birthDate: '1990-03-07',
      phone: '13800138000',
      idDocument: { type: 'resident_id_card', number: residentIdNumber() },
      ...overrides,
    },
  });
}

/**
 * A phone: a key pair whose private half is never exported, and the proofs it signs. Its clock
 * is the service's clock in the test, so a proof is never dated by a different clock than the
 * one that checks it, however long the test file runs or the clock is moved.
 */
export class Device {
  private constructor(
    readonly alg: 'ES256' | 'EdDSA',
    private readonly privateKey: CryptoKey,
    readonly publicJwk: JWK,
    private readonly clock: () => Date,
  ) {}

  static async create(clock: () => Date, alg: 'ES256' | 'EdDSA' = 'ES256'): Promise<Device> {
    const { publicKey, privateKey } = await generateKeyPair(
      alg,
      alg === 'EdDSA' ? { crv: 'Ed25519' } : {},
    );
    return new Device(alg, privateKey, await exportJWK(publicKey), clock);
  }

  async proof(
    method: string,
    path: string,
    { accessToken, iat, jti }: { accessToken?: string; iat?: number; jti?: string } = {},
  ) {
    const claims: Record<string, unknown> = {
      jti: jti ?? randomBytes(16).toString('base64url'),
      htm: method,
      htu: `${PUBLIC_URL}${path}`,
    };
    if (accessToken) {
      const { createHash } = await import('node:crypto');
      claims.ath = createHash('sha256').update(accessToken).digest('base64url');
    }
    return new SignJWT(claims)
      .setProtectedHeader({ alg: this.alg, typ: 'dpop+jwt', jwk: this.publicJwk })
      .setIssuedAt(iat ?? Math.floor(this.clock().getTime() / 1000))
      .sign(this.privateKey);
  }
}

export async function activate(
  app: ServiceInstance,
  code: string,
  device: Device,
): Promise<Response> {
  return app.inject({
    method: 'POST',
    url: '/v1/devices/activate',
    headers: { dpop: await device.proof('POST', '/v1/devices/activate') },
    payload: { activationCode: code, label: 'test phone' },
  });
}

export async function residentToken(app: ServiceInstance, device: Device): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/auth/device-token',
    headers: { dpop: await device.proof('POST', '/v1/auth/device-token') },
  });
  if (res.statusCode !== 200) throw new Error(`device token: ${res.statusCode} ${res.body}`);
  return res.json().accessToken;
}

export async function requestPresentation(
  app: ServiceInstance,
  device: Device,
  token: string,
  payload?: unknown,
): Promise<Response> {
  return app.inject({
    method: 'POST',
    url: '/v1/presentations',
    headers: {
      authorization: `DPoP ${token}`,
      dpop: await device.proof('POST', '/v1/presentations', { accessToken: token }),
    },
    payload: (payload ?? {}) as Record<string, unknown>,
  });
}

export async function presentation(
  app: ServiceInstance,
  device: Device,
  token: string,
): Promise<string> {
  const res = await requestPresentation(app, device, token);
  if (res.statusCode !== 201) throw new Error(`presentation: ${res.statusCode} ${res.body}`);
  return res.json().token;
}

export function verify(app: ServiceInstance, verifier: string, token: string): Promise<Response> {
  return app.inject({
    method: 'POST',
    url: '/v1/presentations/verify',
    headers: bearer(verifier),
    payload: { token, counter: 'window-3' },
  });
}

/** A resident with an activated device (on the service's clock) and a resident token. */
export async function residentWithDevice(
  { app, clock }: Pick<TestApp, 'app' | 'clock'>,
  clerk: string,
  alg: 'ES256' | 'EdDSA' = 'ES256',
) {
  const enrolled = (await enrol(app, clerk)).json();
  const device = await Device.create(clock, alg);
  const activated = await activate(app, enrolled.activation.code, device);
  if (activated.statusCode !== 201) throw new Error(`activate: ${activated.body}`);
  return {
    enrolled,
    device,
    deviceId: activated.json().deviceId as string,
    token: await residentToken(app, device),
  };
}

/**
 * A resident's request as the phone makes it: the DPoP-bound token and a fresh proof for this
 * method and path, bound to the token (RFC 9449 §7.1).
 */
export async function asResident(
  app: ServiceInstance,
  { device, token }: { device: Device; token: string },
  method: 'GET' | 'POST',
  url: string,
  payload?: Record<string, unknown>,
): Promise<Response> {
  const path = url.split('?')[0] ?? url;
  return app.inject({
    method,
    url,
    headers: {
      authorization: `DPoP ${token}`,
      dpop: await device.proof(method, path, { accessToken: token }),
    },
    ...(payload === undefined ? {} : { payload }),
  });
}
