import { createHash, randomBytes, randomInt } from 'node:crypto';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

/**
 * The calls a counter system and a resident's phone make, over real HTTP, to put identity in the
 * state a bench needs. Every unexpected status throws with the problem+json body.
 */
export class IdentityClient {
  constructor(readonly baseUrl: string) {}

  async call(
    method: string,
    path: string,
    { headers = {}, body }: { headers?: Record<string, string>; body?: unknown } = {},
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      json = { text };
    }
    return { status: res.status, json };
  }

  async expect(
    status: number,
    method: string,
    path: string,
    init?: { headers?: Record<string, string>; body?: unknown },
  ): Promise<Record<string, unknown>> {
    const res = await this.call(method, path, init);
    if (res.status !== status) {
      throw new Error(
        `${method} ${path}: ${res.status}, expected ${status}: ${JSON.stringify(res.json)}`,
      );
    }
    return res.json;
  }

  async login(username: string, password: string): Promise<string> {
    const res = await this.expect(200, 'POST', '/v1/auth/login', { body: { username, password } });
    return String(res.accessToken);
  }

  /** A department of its own with one counter clerk; returns the clerk's access token. */
  async counterClerk(adminToken: string): Promise<string> {
    const suffix = randomBytes(4).toString('hex');
    const department = `bench_${suffix}`;
    const auth = { authorization: `Bearer ${adminToken}` };
    await this.expect(201, 'POST', '/v1/departments', {
      headers: auth,
      body: { code: department, name: { zh: '压测部门', en: 'Benchmark department' } },
    });
    const username = `bench-clerk-${suffix}`;
    const password = randomBytes(18).toString('base64url');
    await this.expect(201, 'POST', '/v1/staff', {
      headers: auth,
      body: {
        username,
        displayName: 'Bench clerk',
        department,
        roles: ['counter_clerk'],
        password,
      },
    });
    return this.login(username, password);
  }

  /** Enrols a resident at the counter, activates a phone for them, and signs the phone in. */
  async residentWithDevice(clerkToken: string): Promise<Resident> {
    const enrolled = await this.expect(201, 'POST', '/v1/residents', {
      headers: { authorization: `Bearer ${clerkToken}` },
      body: {
        fullName: '张三',
        birthDate: '1990-03-07',
        phone: '13800138000',
        idDocument: { type: 'resident_id_card', number: residentIdNumber() },
      },
    });
    const code = (enrolled.activation as { code: string }).code;
    const device = await Device.create(this.baseUrl);
    await this.expect(201, 'POST', '/v1/devices/activate', {
      headers: { dpop: await device.proof('POST', '/v1/devices/activate') },
      body: { activationCode: code, label: 'bench phone' },
    });
    const signedIn = await this.expect(200, 'POST', '/v1/auth/device-token', {
      headers: { dpop: await device.proof('POST', '/v1/auth/device-token') },
    });
    return { device, accessToken: String(signedIn.accessToken) };
  }

  /** What the phone does every minute: a fresh proof bound to its access token, then a new QR. */
  async presentation(resident: Resident): Promise<string> {
    const path = '/v1/presentations';
    const res = await this.expect(201, 'POST', path, {
      headers: {
        authorization: `DPoP ${resident.accessToken}`,
        dpop: await resident.device.proof('POST', path, resident.accessToken),
      },
      body: {},
    });
    return String(res.token);
  }
}

export interface Resident {
  readonly device: Device;
  readonly accessToken: string;
}

/** A phone: a P-256 key that never leaves it, and the DPoP proofs (RFC 9449) it signs. */
export class Device {
  private constructor(
    private readonly baseUrl: string,
    private readonly privateKey: CryptoKey,
    /** The device's public key: its RFC 7638 thumbprint is what a bound token names (`cnf.jkt`). */
    readonly publicJwk: JWK,
  ) {}

  static async create(baseUrl: string): Promise<Device> {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    return new Device(baseUrl, privateKey, await exportJWK(publicKey));
  }

  proof(method: string, path: string, accessToken?: string): Promise<string> {
    const claims: Record<string, string> = {
      jti: randomBytes(16).toString('base64url'),
      htm: method,
      htu: `${this.baseUrl}${path}`,
    };
    if (accessToken !== undefined) {
      claims.ath = createHash('sha256').update(accessToken, 'ascii').digest('base64url');
    }
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: this.publicJwk })
      .setIssuedAt()
      .sign(this.privateKey);
  }
}

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/** A fresh, well-formed resident ID card number (GB 11643 check digit). */
function residentIdNumber(): string {
  const year = 1950 + randomInt(60);
  const month = String(1 + randomInt(12)).padStart(2, '0');
  const day = String(1 + randomInt(28)).padStart(2, '0');
  const body = `110101${year}${month}${day}${String(randomInt(1000)).padStart(3, '0')}`;
  const sum = WEIGHTS.reduce((acc, w, i) => acc + w * Number(body[i]), 0);
  return body + '10X98765432'[sum % 11];
}
