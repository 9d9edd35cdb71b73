import { randomUUID } from 'node:crypto';
import type { AccessLogItem } from '@tongban/access-log';
import type { Actor, KeyResolver } from '@tongban/auth';
import type { Db } from '@tongban/db';
import type { ServiceInstance } from '@tongban/service-kit';
import { withTransaction } from '@tongban/service-kit';
import { testIssuer } from '@tongban/test-tokens';
import { sql } from 'drizzle-orm';
import {
  type AccessEntryInput,
  appendAccessEntry,
} from '../../src/domain/access-log/append-entry.js';
import { SEQUENCER_JOB, type SequenceResult } from '../../src/domain/access-log/sequence.js';
import { testDevice } from './resident.js';

/** A clock the test moves by hand; the app, its tokens and its entries all read it. */
export function manualClock(start = new Date('2026-03-02T09:30:00.000Z')) {
  let now = start.getTime();
  const clock = () => new Date(now);
  return Object.assign(clock, {
    advance(ms: number) {
      now += ms;
    },
  });
}

/** Background runs far apart: the test runs the sequencer itself, when it chooses. */
export const MANUAL_SEQUENCER = { intervalMs: 3_600_000 } as const;

/** Identity as the tests hold it: signs staff tokens with scopes, and resident tokens. */
export interface AccessLogIssuer {
  readonly keyResolver: KeyResolver;
  staff(
    department: string,
    options?: { roles?: string[]; scope?: string; subject?: string },
  ): Promise<string>;
  auditor(department: string): Promise<string>;
  /** A resident with a device; its token is bound to the device key (`cnf.jkt`). */
  resident(subject: string): Promise<AccessLogResident>;
}

export interface AccessLogResident {
  readonly token: string;
  /** `Authorization` and a fresh `DPoP` proof for one request. */
  headersFor(method: string, url: string): Promise<{ authorization: string; dpop: string }>;
}

export async function accessLogIssuer(clock: () => Date): Promise<AccessLogIssuer> {
  const issuer = await testIssuer(clock);
  const staff: AccessLogIssuer['staff'] = (department, options = {}) =>
    issuer.staff(
      department,
      options.roles ?? [],
      options.subject ?? `staff-${department}`,
      options.scope ?? '',
    );
  return {
    keyResolver: issuer.keyResolver,
    staff,
    // What identity grants the auditor role (services/identity/src/domain/scopes.ts).
    auditor: (department) =>
      staff(department, {
        roles: ['auditor'],
        scope: 'access-log:read cases:read',
        subject: `auditor-${department}`,
      }),
    async resident(subject) {
      const device = await testDevice(clock);
      const token = await issuer.resident(subject, { jkt: device.jkt });
      return {
        token,
        headersFor: async (method, url) => ({
          authorization: `DPoP ${token}`,
          dpop: await device.proof(method, url, { accessToken: token }),
        }),
      };
    },
  };
}

/**
 * The one place a test makes a resident's request: the DPoP-bound token and a fresh proof for
 * `method` and `url`, signed by the resident's device key.
 */
export async function residentRequest(
  app: ServiceInstance,
  resident: AccessLogResident,
  url: string,
  method: 'GET' = 'GET',
) {
  return app.inject({ method, url, headers: await resident.headersFor(method, url) });
}

export function staffRequest(app: ServiceInstance, token: string | undefined, url: string) {
  return app.inject({
    method: 'GET',
    url,
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
}

const actorBase = (subject: string, clock: () => Date) => ({
  subject,
  scopes: new Set<string>(),
  clientId: 'tongban-test',
  tokenId: `token-${subject}`,
  expiresAt: new Date(clock().getTime() + 900_000),
});

export const staffActor = (
  department: string,
  clock: () => Date,
  subject = `clerk-${department}`,
): Actor => ({
  ...actorBase(subject, clock),
  kind: 'staff',
  department,
  roles: ['case_officer'],
});

export const clientActor = (department: string, clock: () => Date): Actor => ({
  ...actorBase(`system-${department}`, clock),
  kind: 'client',
  department,
  roles: [],
});

export const residentActor = (subject: string, clock: () => Date): Actor => ({
  ...actorBase(subject, clock),
  kind: 'resident',
  roles: ['resident'],
});

/** A released read of one field set of a subject's record. */
export function releasedRead(
  subjectId: string,
  extra: Partial<AccessEntryInput> = {},
): AccessEntryInput {
  return {
    subjectId,
    purpose: 'benefit_check',
    recordId: randomUUID(),
    typeCode: 'birth_record',
    recordVersion: 1,
    fields: ['childName', 'birthDate'],
    outcome: 'released',
    ...extra,
  };
}

export function refusedRead(
  subjectId: string | null,
  denialCode = 'purpose_not_allowed',
): AccessEntryInput {
  return { subjectId, purpose: 'curiosity', fields: [], outcome: 'denied', denialCode };
}

/**
 * Writes entries as the read path does: `appendAccessEntry` inside the transaction that would
 * release the data, one transaction per read.
 */
export async function writeEntries(
  db: Db,
  clock: () => Date,
  reads: ReadonlyArray<{ readonly actor: Actor; readonly entry: AccessEntryInput }>,
): Promise<string[]> {
  const ids: string[] = [];
  for (const { actor, entry } of reads) {
    const ctx = { db, actor, requestId: `req-${ids.length}`, clock };
    const written = await withTransaction(ctx, (tx) => appendAccessEntry(tx, entry));
    ids.push(written.id);
  }
  return ids;
}

/** One sequencer run through the job registry, as the schedule would run it. */
export async function sequence(app: ServiceInstance): Promise<SequenceResult> {
  const run = await app.jobs.runNow(SEQUENCER_JOB);
  if (run.outcome === 'failure') throw run.error;
  return run.value as SequenceResult;
}

/**
 * Runs `fn` as a database administrator bypassing the append-only triggers would:
 * `session_replication_role = replica` switches off ordinary triggers for this transaction.
 */
export function asDatabaseAdministrator<T>(db: Db, fn: (tx: Db) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`set local session_replication_role = replica`);
    return fn(tx as unknown as Db);
  });
}

/** Every page of a list, following `nextCursor`. */
export async function allPages(
  get: (url: string) => Promise<{ statusCode: number; json(): unknown }>,
  path: string,
): Promise<{ items: AccessLogItem[]; checkpoint: string | null }> {
  const items: AccessLogItem[] = [];
  let checkpoint: string | null = null;
  let cursor: string | null = null;
  do {
    const separator = path.includes('?') ? '&' : '?';
    const res = await get(`${path}${separator}limit=200${cursor ? `&cursor=${cursor}` : ''}`);
    if (res.statusCode !== 200) throw new Error(`${path}: HTTP ${res.statusCode}`);
    const body = res.json() as {
      items: AccessLogItem[];
      nextCursor: string | null;
      checkpoint: string | null;
    };
    // Every page carries the head at the time of its own read; the first one is kept.
    if (cursor === null) checkpoint = body.checkpoint;
    items.push(...body.items);
    cursor = body.nextCursor;
  } while (cursor !== null);
  return { items, checkpoint };
}
