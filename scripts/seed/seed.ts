// Loads the demo city through identity's, records' and workflow's public APIs, with the typed
// clients. Idempotent: what exists is left alone (409 already_exists / already_enrolled; policies,
// records and cases are looked up first, see seedRecords and seedCases), so running it at every
// start is safe.
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import {
  createIdentityClient,
  createRecordsClient,
  createWorkflowClient,
  type IdentityClient,
  type RecordsClient,
  type WorkflowClient,
} from '@tongban/clients';
import * as city from './demo-city.js';

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

export function withCheckDigit(body: string): string {
  const sum = WEIGHTS.reduce((acc, w, i) => acc + w * Number(body[i]), 0);
  return body + '10X98765432'[sum % 11];
}

/**
 * A digest of the demo city's data. A data folder that recorded it after a seed holds all of it
 * already, so a later start of that same folder need not ask every service again.
 */
export function demoCityFingerprint(): string {
  return createHash('sha256').update(JSON.stringify(city)).digest('hex');
}

export interface SeedOptions {
  readonly identityUrl: string;
  /** Where records listens; without it only identity's part of the city is loaded. */
  readonly recordsUrl?: string;
  /** Where workflow listens; without it no demo case is opened. */
  readonly workflowUrl?: string;
  readonly adminPassword: string;
  /** Password given to every demo staff account. */
  readonly staffPassword: string;
}

export interface SeedReport {
  readonly created: {
    departments: number;
    staff: number;
    clients: number;
    residents: number;
    recordTypes: number;
    policies: number;
    records: number;
    cases: number;
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

/**
 * One sign-in per member of staff, shared by every step. A sign-in is a deliberately slow password
 * check (scrypt), so the seed starts the ones it will need together, once the accounts exist,
 * instead of one after another.
 */
function signIns(identity: IdentityClient, password: string) {
  const tokens = new Map<string, Promise<string>>();
  const token = (username: string) => {
    let pending = tokens.get(username);
    if (pending === undefined) {
      pending = login(identity, username, password);
      tokens.set(username, pending);
    }
    return pending;
  };
  return {
    token,
    /** Starts these sign-ins now; a failure surfaces where the token is first awaited. */
    start(usernames: Iterable<string>) {
      for (const username of usernames) token(username).catch(() => {});
    },
  };
}

/** Every member of staff the seed acts as after the accounts exist. */
function staffTheSeedActsAs(): Set<string> {
  const names = new Set(['public-security.clerk']);
  for (const type of city.recordTypes) {
    names.add(usernameOf(type.issuerDepartment, 'admin'));
    names.add(usernameOf(type.issuerDepartment, 'officer'));
  }
  for (const demo of city.cases) names.add(`${demo.counter.replace(/_/g, '-')}.clerk`);
  return names;
}

export async function seedDemoCity(options: SeedOptions): Promise<SeedReport> {
  const identity = createIdentityClient({ baseUrl: options.identityUrl, fetch: fetchWithTimeout });
  const staff = signIns(identity, options.staffPassword);
  const admin = createIdentityClient({
    baseUrl: options.identityUrl,
    fetch: fetchWithTimeout,
    token: await login(identity, 'admin', options.adminPassword),
  });
  const report: SeedReport = {
    created: {
      departments: 0,
      staff: 0,
      clients: 0,
      residents: 0,
      recordTypes: 0,
      policies: 0,
      records: 0,
      cases: 0,
    },
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
  }
  // Each account's password is hashed with scrypt: together they share the machine's cores.
  const accounts = city.departments.flatMap((department) =>
    city.staffRoles.map((role) => ({
      username: `${department.code.replace(/_/g, '-')}.${role.suffix}`,
      displayName: `${department.name.zh}${role.displayName.zh}`,
      department: department.code,
      roles: [...role.roles],
      password: options.staffPassword,
    })),
  );
  const made = await Promise.all(
    accounts.map(async (body) =>
      expectCreated(`staff ${body.username}`, await admin.POST('/v1/staff', { body })),
    ),
  );
  report.created.staff += made.filter(Boolean).length;
  staff.start(staffTheSeedActsAs());
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
    token: await staff.token('public-security.clerk'),
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
    await seedRecords({ ...options, recordsUrl: options.recordsUrl }, staff, clerk, report);
  }
  // After the records, so each case's pull finds what the residents hold.
  if (options.workflowUrl !== undefined) {
    await seedCases({ ...options, workflowUrl: options.workflowUrl }, staff, report);
  }
  return report;
}

/** What the counter writes for the seed's ID-card checks; the residents see it in their history. */
const SEED_COUNTER = '演示数据 demo seed';

/**
 * The demo cases, each applied for by its counter department's clerk as at a real counter: the
 * clerk checks the resident's ID card (`POST /v1/verifications/in-person`), lists the resident's
 * cases with that verification, and applies only when the resident has no case of the service
 * in any state (a withdrawn or decided demo case is left as it is). So every start records one
 * in-person check per demo case in the resident's verification history, under `SEED_COUNTER`:
 * that is the price of seeing a resident's cases, which a clerk has no other way to do.
 */
async function seedCases(
  options: SeedOptions & { readonly workflowUrl: string },
  staff: ReturnType<typeof signIns>,
  report: SeedReport,
) {
  const clerks = new Map<string, { identity: IdentityClient; workflow: WorkflowClient }>();
  const clerkOf = async (department: string) => {
    let clerk = clerks.get(department);
    if (clerk === undefined) {
      const token = await staff.token(`${department.replace(/_/g, '-')}.clerk`);
      clerk = {
        identity: createIdentityClient({
          baseUrl: options.identityUrl,
          fetch: fetchWithTimeout,
          token,
        }),
        workflow: createWorkflowClient({
          baseUrl: options.workflowUrl,
          fetch: fetchWithTimeout,
          token,
        }),
      };
      clerks.set(department, clerk);
    }
    return clerk;
  };
  const idNumberOf = (fullName: string) => {
    const resident = city.residents.find((r) => r.fullName === fullName);
    if (!resident) throw new Error(`seeding cases: unknown resident ${fullName}`);
    return withCheckDigit(resident.idBody);
  };

  for (const demo of city.cases) {
    const clerk = await clerkOf(demo.counter);
    const checked = await clerk.identity.POST('/v1/verifications/in-person', {
      body: {
        idDocumentType: 'resident_id_card',
        idNumber: idNumberOf(demo.resident),
        counter: SEED_COUNTER,
      },
    });
    if (!checked.data) {
      throw new Error(
        `seeding case ${demo.key}: ID-card check ${checked.response.status} ${JSON.stringify(checked.error)}`,
      );
    }
    const { subjectId, verificationId } = checked.data;
    if (await hasCaseOf(clerk.workflow, demo, subjectId, verificationId)) continue;

    const form: Record<string, string | number> = {};
    for (const [name, value] of Object.entries(demo.form)) {
      form[name] =
        typeof value === 'object'
          ? await subjectByIdNumber(clerk.identity, idNumberOf(value.subjectOf))
          : value;
    }
    const res = await clerk.workflow.POST('/v1/cases', {
      body: { service: demo.service, subjectId, verificationId, form },
    });
    if (!res.data) {
      throw new Error(
        `seeding case ${demo.key}: ${res.response.status} ${JSON.stringify(res.error)}`,
      );
    }
    report.created.cases++;
  }
}

/** Whether the resident has a case of the demo's service, in any state, as the clerk sees it. */
async function hasCaseOf(
  workflow: WorkflowClient,
  demo: city.DemoCase,
  subjectId: string,
  verificationId: string,
): Promise<boolean> {
  let cursor: string | undefined;
  do {
    const page = await workflow.GET('/v1/cases', {
      params: {
        query: { subjectId, verificationId, limit: 100, ...(cursor ? { cursor } : {}) },
      },
    });
    if (!page.data) {
      throw new Error(
        `seeding case ${demo.key}: listing cases ${page.response.status} ${JSON.stringify(page.error)}`,
      );
    }
    if (page.data.items.some((c) => c.service.code === demo.service)) return true;
    cursor = page.data.nextCursor ?? undefined;
  } while (cursor);
  return false;
}

/** A resident's subject id as the counter finds it from the ID card. */
async function subjectByIdNumber(clerk: IdentityClient, idNumber: string): Promise<string> {
  const res = await clerk.POST('/v1/residents/lookup', {
    body: { idDocumentType: 'resident_id_card', idNumber },
  });
  if (!res.data) throw new Error(`seeding: no subject for ID number ${idNumber.slice(0, 6)}…`);
  return res.data.subjectId;
}

const usernameOf = (department: string, suffix: 'admin' | 'officer') =>
  `${department.replace(/_/g, '-')}.${suffix}`;

/**
 * What the seed states when it reads its own records to see what is already there. The issuing
 * department reads its records for any purpose (ADR 0013); the read is logged like any other,
 * so a resident's access log shows the seed's look-ups under this name.
 */
const SEED_PURPOSE = 'demo_seed';

const problemCode = (error: unknown) => (error as { code?: string } | undefined)?.code;

/**
 * Record types, declared by each issuing department's administrator (409 when they exist); the
 * access policies, made by the same administrators; and the residents' records, published by
 * each department's case officer (who holds records:write and records:read).
 *
 * Nothing is keyed by time: a policy is made only when its department, type and purpose never had
 * one (a withdrawn demo policy stays withdrawn), and a record is published only when the issuing
 * department, reading the resident's records of that type (revoked ones included), finds none
 * holding its data. A record found at its first version still gets its amendment, and an active
 * one its revocation, so a seed that stopped halfway is finished by the next, however much later.
 */
async function seedRecords(
  options: SeedOptions & { readonly recordsUrl: string },
  staff: ReturnType<typeof signIns>,
  clerk: IdentityClient,
  report: SeedReport,
) {
  const records = (token?: string) =>
    createRecordsClient({
      baseUrl: options.recordsUrl,
      fetch: fetchWithTimeout,
      ...(token ? { token } : {}),
    });
  const as = async (username: string) => records(await staff.token(username));

  // Subject ids as the counter finds them from the ID card: the same on every run.
  // Each step's items are independent of one another, so each step sends them together.
  const subjectOf = new Map<string, string>();
  await Promise.all(
    city.residents.map(async (resident) => {
      const res = await clerk.POST('/v1/residents/lookup', {
        body: { idDocumentType: 'resident_id_card', idNumber: withCheckDigit(resident.idBody) },
      });
      if (!res.data) throw new Error(`seeding: no subject for ${resident.fullName}`);
      subjectOf.set(resident.fullName, res.data.subjectId);
    }),
  );

  await Promise.all(
    city.recordTypes.map(async (type) => {
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
    }),
  );

  await Promise.all(
    city.accessPolicies.map(async (policy) => {
      const type = city.recordTypes.find((t) => t.code === policy.recordType);
      if (!type) throw new Error(`seeding policy: unknown record type ${policy.recordType}`);
      const admin = await as(usernameOf(type.issuerDepartment, 'admin'));
      if (await policyExists(admin, policy)) return;
      const res = await admin.POST('/v1/policies', {
        body: { ...policy, fields: [...policy.fields] },
      });
      if (res.response.status === 201) report.created.policies++;
      else if (res.response.status !== 409 || problemCode(res.error) !== 'already_exists') {
        throw new Error(
          `seeding policy ${policy.readerDepartment} ${policy.recordType} ${policy.purpose}: ${res.response.status} ${JSON.stringify(res.error)}`,
        );
      }
    }),
  );

  await Promise.all(
    city.records.map(async (record) => {
      const type = city.recordTypes.find((t) => t.code === record.type);
      const subjectId = subjectOf.get(record.resident);
      if (!type || !subjectId)
        throw new Error(`seeding record ${record.key}: unknown type or resident`);
      const officer = await as(usernameOf(type.issuerDepartment, 'officer'));
      if (await seedRecord(officer, record, subjectId)) report.created.records++;
    }),
  );
}

/** Whether the department, type and purpose ever had a policy, active or withdrawn. */
async function policyExists(admin: RecordsClient, policy: city.DemoAccessPolicy) {
  let cursor: string | undefined;
  do {
    const page = await admin.GET('/v1/policies', {
      params: {
        query: {
          recordType: policy.recordType,
          readerDepartment: policy.readerDepartment,
          limit: 200,
          ...(cursor ? { cursor } : {}),
        },
      },
    });
    if (!page.data) throw new Error(`seeding: listing policies failed (${page.response.status})`);
    if (page.data.items.some((p) => p.purpose === policy.purpose)) return true;
    cursor = page.data.nextCursor ?? undefined;
  } while (cursor);
  return false;
}

/**
 * Brings one demo record to its demo state — published, amended, revoked as the city says — from
 * wherever an earlier seed left it, as the issuing department (`officer` holds records:read and
 * records:write). Returns whether it had to be published.
 */
export async function seedRecord(
  officer: RecordsClient,
  record: city.DemoRecord,
  subjectId: string,
): Promise<boolean> {
  const fail = (step: string, res: { response: Response; error?: unknown }): never => {
    throw new Error(
      `seeding record ${record.key}: ${step} ${res.response.status} ${JSON.stringify(res.error)}`,
    );
  };
  const held = await issuedRecords(officer, record.type, subjectId);
  const holding = (data: Record<string, unknown>) =>
    held.find((r) => isDeepStrictEqual(r.data, data));
  // At its demo state's data, or still at the first version of a record the city amends.
  const atFinal = holding(record.amend ?? record.data);
  const atFirst = record.amend === undefined ? undefined : holding(record.data);
  const found = atFinal ?? atFirst;
  // A revoked record takes no amendment nor second revocation: whoever revoked it, it stays.
  if (found?.status === 'revoked') return false;
  if (found !== undefined && found === atFinal && record.revoke === undefined) return false;

  let id: string;
  let etag: string;
  if (found === undefined) {
    const res = await officer.POST('/v1/records', {
      body: { type: record.type, subjectId, data: record.data },
    });
    if (!res.data) return fail('publication', res);
    id = res.data.id;
    etag = res.response.headers.get('etag') ?? '';
  } else {
    // Found part-way: its current ETag, for the amendment or revocation still to come.
    const current = await officer.GET('/v1/records/{id}', {
      params: { path: { id: found.id }, query: { purpose: SEED_PURPOSE } },
    });
    if (!current.data) return fail('reading', current);
    id = found.id;
    etag = current.response.headers.get('etag') ?? '';
  }
  if (record.amend !== undefined && (found === undefined || found === atFirst)) {
    const amended = await officer.PUT('/v1/records/{id}', {
      params: { path: { id }, header: { 'if-match': etag } },
      body: { data: record.amend },
    });
    if (!amended.data) return fail('amendment', amended);
    etag = amended.response.headers.get('etag') ?? '';
  }
  if (record.revoke) {
    const revoked = await officer.POST('/v1/records/{id}/revoke', {
      params: { path: { id }, header: { 'if-match': etag } },
      body: { reason: record.revoke },
    });
    if (!revoked.data) return fail('revocation', revoked);
  }
  return found === undefined;
}

/** The subject's records of a type the department issued, revoked ones included, as it reads them. */
async function issuedRecords(issuer: RecordsClient, type: string, subjectId: string) {
  const found: { id: string; status: 'active' | 'revoked'; data: Record<string, unknown> }[] = [];
  let cursor: string | undefined;
  do {
    const page = await issuer.GET('/v1/records', {
      params: {
        query: {
          subjectId,
          type,
          purpose: SEED_PURPOSE,
          includeRevoked: true,
          limit: 200,
          ...(cursor ? { cursor } : {}),
        },
      },
    });
    if (!page.data) {
      throw new Error(`seeding: reading ${type} records failed (${page.response.status})`);
    }
    found.push(...page.data.items);
    cursor = page.data.nextCursor ?? undefined;
  } while (cursor);
  return found;
}
