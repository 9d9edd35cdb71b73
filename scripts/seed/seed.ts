// Loads the demo city through identity's public API. Idempotent: what exists is left alone
// (409 already_exists / already_enrolled), so running it at every start is safe.
import * as city from './demo-city.js';

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

export function withCheckDigit(body: string): string {
  const sum = WEIGHTS.reduce((acc, w, i) => acc + w * Number(body[i]), 0);
  return body + '10X98765432'[sum % 11];
}

export interface SeedOptions {
  readonly identityUrl: string;
  readonly adminPassword: string;
  /** Password given to every demo staff account. */
  readonly staffPassword: string;
}

export interface SeedReport {
  readonly created: { departments: number; staff: number; clients: number; residents: number };
  readonly clientSecrets: { clientId: string; clientSecret: string }[];
  readonly activationCodes: {
    fullName: string;
    subjectId: string;
    code: string;
    expiresAt: string;
  }[];
}

async function call(
  base: string,
  method: string,
  path: string,
  {
    token,
    body,
    headers,
  }: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

function expectCreated(
  what: string,
  res: { status: number; json: Record<string, unknown> },
): boolean {
  if (res.status === 201) return true;
  if (res.status === 409) return false;
  throw new Error(`seeding ${what}: ${res.status} ${JSON.stringify(res.json)}`);
}

async function login(base: string, username: string, password: string): Promise<string> {
  const res = await call(base, 'POST', '/v1/auth/login', { body: { username, password } });
  if (res.status !== 200)
    throw new Error(
      `seeding: login as ${username} failed (${res.status} ${String(res.json.code)})`,
    );
  return res.json.accessToken as string;
}

export async function seedDemoCity(options: SeedOptions): Promise<SeedReport> {
  const base = options.identityUrl;
  const admin = await login(base, 'admin', options.adminPassword);
  const report: SeedReport = {
    created: { departments: 0, staff: 0, clients: 0, residents: 0 },
    clientSecrets: [],
    activationCodes: [],
  };

  for (const department of city.departments) {
    if (
      expectCreated(
        `department ${department.code}`,
        await call(base, 'POST', '/v1/departments', { token: admin, body: department }),
      )
    ) {
      report.created.departments++;
    }
    for (const role of city.staffRoles) {
      const body = {
        username: `${department.code.replace(/_/g, '-')}.${role.suffix}`,
        displayName: `${department.name.zh}${role.displayName.zh}`,
        department: department.code,
        roles: role.roles,
        password: options.staffPassword,
      };
      if (
        expectCreated(
          `staff ${body.username}`,
          await call(base, 'POST', '/v1/staff', { token: admin, body }),
        )
      ) {
        report.created.staff++;
      }
    }
  }
  for (const policy of city.attributePolicies) {
    const res = await call(base, 'PUT', `/v1/departments/${policy.department}/attribute-policy`, {
      token: admin,
      body: { attributes: policy.attributes },
    });
    if (res.status !== 200) throw new Error(`seeding policy ${policy.department}: ${res.status}`);
  }
  for (const client of city.clients) {
    const res = await call(base, 'POST', '/v1/clients', { token: admin, body: client });
    if (expectCreated(`client ${client.clientId}`, res)) {
      report.created.clients++;
      report.clientSecrets.push({
        clientId: client.clientId,
        clientSecret: res.json.clientSecret as string,
      });
    }
  }

  const clerk = await login(base, 'public-security.clerk', options.staffPassword);
  for (const resident of city.residents) {
    const res = await call(base, 'POST', '/v1/residents', {
      token: clerk,
      body: {
        fullName: resident.fullName,
        birthDate: resident.birthDate,
        phone: resident.phone,
        idDocument: { type: 'resident_id_card', number: withCheckDigit(resident.idBody) },
      },
    });
    if (expectCreated(`resident ${resident.fullName}`, res)) {
      report.created.residents++;
      const activation = res.json.activation as { code: string; expiresAt: string };
      report.activationCodes.push({
        fullName: resident.fullName,
        subjectId: res.json.subjectId as string,
        code: activation.code,
        expiresAt: activation.expiresAt,
      });
    }
  }
  return report;
}
