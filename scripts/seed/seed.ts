// Loads the demo city through identity's public API, with the typed client. Idempotent: what exists is left alone
// (409 already_exists / already_enrolled), so running it at every start is safe.
import { createIdentityClient, type IdentityClient } from '@tongban/clients';
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

// A request that hangs must not hang the start command.
const fetchWithTimeout = (request: Request) =>
  fetch(request, { signal: AbortSignal.timeout(15_000) });

function expectCreated(what: string, res: { response: Response; error?: unknown }): boolean {
  if (res.response.status === 201) return true;
  if (res.response.status === 409) return false;
  throw new Error(`seeding ${what}: ${res.response.status} ${JSON.stringify(res.error)}`);
}

async function login(identity: IdentityClient, username: string, password: string) {
  const res = await identity.POST('/v1/auth/login', { body: { username, password } });
  if (!res.data) {
    const code = (res.error as { code?: string } | undefined)?.code;
    throw new Error(`seeding: login as ${username} failed (${res.response.status} ${code})`);
  }
  return res.data.accessToken;
}

export async function seedDemoCity(options: SeedOptions): Promise<SeedReport> {
  const identity = createIdentityClient({ baseUrl: options.identityUrl, fetch: fetchWithTimeout });
  const admin = createIdentityClient({
    baseUrl: options.identityUrl,
    fetch: fetchWithTimeout,
    token: await login(identity, 'admin', options.adminPassword),
  });
  const report: SeedReport = {
    created: { departments: 0, staff: 0, clients: 0, residents: 0 },
    clientSecrets: [],
    activationCodes: [],
  };

  for (const department of city.departments) {
    if (
      expectCreated(
        `department ${department.code}`,
        await admin.POST('/v1/departments', { body: department }),
      )
    ) {
      report.created.departments++;
    }
    for (const role of city.staffRoles) {
      const body = {
        username: `${department.code.replace(/_/g, '-')}.${role.suffix}`,
        displayName: `${department.name.zh}${role.displayName.zh}`,
        department: department.code,
        roles: [...role.roles],
        password: options.staffPassword,
      };
      if (expectCreated(`staff ${body.username}`, await admin.POST('/v1/staff', { body }))) {
        report.created.staff++;
      }
    }
  }
  for (const policy of city.attributePolicies) {
    const res = await admin.PUT('/v1/departments/{code}/attribute-policy', {
      params: { path: { code: policy.department } },
      body: { attributes: [...policy.attributes] },
    });
    if (res.response.status !== 200) {
      throw new Error(`seeding policy ${policy.department}: ${res.response.status}`);
    }
  }
  for (const client of city.clients) {
    const res = await admin.POST('/v1/clients', {
      body: { ...client, scopes: [...client.scopes] },
    });
    if (expectCreated(`client ${client.clientId}`, res) && res.data) {
      report.created.clients++;
      report.clientSecrets.push({ clientId: client.clientId, clientSecret: res.data.clientSecret });
    }
  }

  const clerk = createIdentityClient({
    baseUrl: options.identityUrl,
    fetch: fetchWithTimeout,
    token: await login(identity, 'public-security.clerk', options.staffPassword),
  });
  for (const resident of city.residents) {
    const res = await clerk.POST('/v1/residents', {
      body: {
        fullName: resident.fullName,
        birthDate: resident.birthDate,
        phone: resident.phone,
        idDocument: { type: 'resident_id_card', number: withCheckDigit(resident.idBody) },
      },
    });
    if (expectCreated(`resident ${resident.fullName}`, res) && res.data) {
      report.created.residents++;
      report.activationCodes.push({
        fullName: resident.fullName,
        subjectId: res.data.subjectId,
        code: res.data.activation.code,
        expiresAt: res.data.activation.expiresAt,
      });
    }
  }
  return report;
}
