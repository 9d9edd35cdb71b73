// Loads the demo city through identity's and records' public APIs, with the typed clients.
// Idempotent: what exists is left alone (409 already_exists / already_enrolled; records: see
// seedRecords), so running it at every start is safe.
import { createIdentityClient, createRecordsClient, type IdentityClient } from '@tongban/clients';
import * as city from './demo-city.js';

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

export function withCheckDigit(body: string): string {
  const sum = WEIGHTS.reduce((acc, w, i) => acc + w * Number(body[i]), 0);
  return body + '10X98765432'[sum % 11];
}

export interface SeedOptions {
  readonly identityUrl: string;
  /** Where records listens; without it only identity's part of the city is loaded. */
  readonly recordsUrl?: string;
  readonly adminPassword: string;
  /** Password given to every demo staff account. */
  readonly staffPassword: string;
  readonly now?: () => Date;
}

export interface SeedReport {
  readonly created: {
    departments: number;
    staff: number;
    clients: number;
    residents: number;
    recordTypes: number;
    records: number;
  };
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
    created: { departments: 0, staff: 0, clients: 0, residents: 0, recordTypes: 0, records: 0 },
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
  if (options.recordsUrl !== undefined) {
    await seedRecords({ ...options, recordsUrl: options.recordsUrl }, identity, clerk, report);
  }
  return report;
}

const usernameOf = (department: string, suffix: 'admin' | 'officer') =>
  `${department.replace(/_/g, '-')}.${suffix}`;

// An Idempotency-Key lives 24 h at records; a type younger than this still has its records' keys.
const REPUBLISH_WINDOW_MS = 23 * 60 * 60 * 1000;

/**
 * Record types, declared by each issuing department's administrator (409 when they exist), and
 * the residents' records, published by each department's case officer (who holds records:write).
 *
 * A record has no natural key to find it by through the write API, so publication carries a
 * fixed Idempotency-Key per demo record: a repeat within records' 24 h key lifetime replays the
 * first answer instead of publishing again, and a second version or a revocation is applied only
 * after a publication that was not a replay. Records of a type declared more than 23 h ago were
 * published on the start that declared it and are left alone, so a start days later publishes
 * nothing twice either.
 */
async function seedRecords(
  options: SeedOptions & { readonly recordsUrl: string },
  identity: IdentityClient,
  clerk: IdentityClient,
  report: SeedReport,
) {
  const now = options.now ?? (() => new Date());
  const records = (token?: string) =>
    createRecordsClient({
      baseUrl: options.recordsUrl,
      fetch: fetchWithTimeout,
      ...(token ? { token } : {}),
    });
  const tokens = new Map<string, string>();
  const as = async (username: string) => {
    let token = tokens.get(username);
    if (token === undefined) {
      token = await login(identity, username, options.staffPassword);
      tokens.set(username, token);
    }
    return records(token);
  };

  // Subject ids as the counter finds them from the ID card: the same on every run.
  const subjectOf = new Map<string, string>();
  for (const resident of city.residents) {
    const res = await clerk.POST('/v1/residents/lookup', {
      body: { idDocumentType: 'resident_id_card', idNumber: withCheckDigit(resident.idBody) },
    });
    if (!res.data) throw new Error(`seeding: no subject for ${resident.fullName}`);
    subjectOf.set(resident.fullName, res.data.subjectId);
  }

  const publishable = new Set<string>();
  for (const type of city.recordTypes) {
    const admin = await as(usernameOf(type.issuerDepartment, 'admin'));
    const res = await admin.POST('/v1/record-types', {
      body: {
        code: type.code,
        name: type.name,
        fieldSchema: type.fieldSchema,
        classification: { ...type.classification },
      },
    });
    if (expectCreated(`record type ${type.code}`, res)) report.created.recordTypes++;
    const declared = await records().GET('/v1/record-types/{code}', {
      params: { path: { code: type.code } },
    });
    if (!declared.data) throw new Error(`seeding: record type ${type.code} is missing`);
    if (now().getTime() - Date.parse(declared.data.createdAt) < REPUBLISH_WINDOW_MS) {
      publishable.add(type.code);
    }
  }

  for (const record of city.records) {
    if (!publishable.has(record.type)) continue;
    const type = city.recordTypes.find((t) => t.code === record.type);
    const subjectId = subjectOf.get(record.resident);
    if (!type || !subjectId)
      throw new Error(`seeding record ${record.key}: unknown type or resident`);
    const officer = await as(usernameOf(type.issuerDepartment, 'officer'));
    const published = await officer.POST('/v1/records', {
      body: { type: record.type, subjectId, data: record.data },
      params: { header: { 'idempotency-key': `demo-city-record-${record.key}` } },
    });
    if (!published.data) {
      throw new Error(
        `seeding record ${record.key}: ${published.response.status} ${JSON.stringify(published.error)}`,
      );
    }
    if (published.response.headers.get('idempotent-replayed') === 'true') continue;
    report.created.records++;
    let etag = published.response.headers.get('etag') ?? '*';
    if (record.amend) {
      const amended = await officer.PUT('/v1/records/{id}', {
        params: { path: { id: published.data.id }, header: { 'if-match': etag } },
        body: { data: record.amend },
      });
      if (!amended.data)
        throw new Error(`seeding record ${record.key}: amendment ${amended.response.status}`);
      etag = amended.response.headers.get('etag') ?? '*';
    }
    if (record.revoke) {
      const revoked = await officer.POST('/v1/records/{id}/revoke', {
        params: { path: { id: published.data.id }, header: { 'if-match': etag } },
        body: { reason: record.revoke },
      });
      if (!revoked.data)
        throw new Error(`seeding record ${record.key}: revocation ${revoked.response.status}`);
    }
  }
}
