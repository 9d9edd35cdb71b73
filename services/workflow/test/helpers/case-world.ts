import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { makeProof } from '@tongban/phone';
import { type TestIssuer, testIssuer } from '@tongban/test-tokens';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { expect } from 'vitest';
import type { WorkflowDeps } from '../../src/app.js';
import { SLA_OVERDUE_JOB } from '../../src/domain/sla/overdue-sweep.js';
import { PUBLIC_URL, startTestApp, type TestApp } from './app.js';

/** The catalogue shipped with workflow: the demo city's three services. */
export const CATALOGUE = fileURLToPath(new URL('../../catalogue', import.meta.url));

/**
 * A hand-moved clock for a whole test file: the app, every token and every DPoP proof read it.
 * Starts Monday 2 March 2026, 09:00 in Shanghai: an ordinary working week of the 2026 calendar.
 */
export function manualClock(start = Date.parse('2026-03-02T01:00:00Z')) {
  let now = start;
  return {
    now: () => new Date(now),
    set(at: string | number) {
      now = typeof at === 'string' ? Date.parse(at) : at;
    },
    advance(ms: number) {
      now += ms;
    },
  };
}

/** An interval no test outlives: the job runs only when the test runs it. */
export const MANUAL_JOB = { intervalMs: 3_600_000 } as const;

export interface Resident {
  readonly subject: string;
  headersFor(method: string, url: string): Promise<Record<string, string>>;
}

/** A resident with a device key and a DPoP-bound token, as identity issues them. */
export async function residentOf(
  issuer: TestIssuer,
  clock: () => Date,
  subject = randomUUID().replaceAll('-', '').slice(0, 16),
): Promise<Resident> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const publicJwk = await exportJWK(publicKey);
  const token = await issuer.resident(subject, { jkt: await calculateJwkThumbprint(publicJwk) });
  return {
    subject,
    headersFor: async (method, url) => ({
      authorization: `DPoP ${token}`,
      dpop: await makeProof(
        { alg: 'ES256', privateKey, publicJwk },
        { method, url: `${PUBLIC_URL}${url.split('?')[0]}`, now: clock(), accessToken: token },
      ),
    }),
  };
}

export interface CaseWorld {
  readonly app: TestApp;
  readonly issuer: TestIssuer;
  readonly clock: ReturnType<typeof manualClock>;
  /** An officer (`case_officer`: cases:read, cases:decide) of a department. */
  officer(department: string): Promise<Record<string, string>>;
  /** A counter clerk (cases:read, cases:write) of a department. */
  clerk(department: string): Promise<Record<string, string>>;
  resident(subject?: string): Promise<Resident>;
  /** Submits a case as the resident and expects 201. */
  submit(resident: Resident, service: string, form: Record<string, unknown>): Promise<CaseBody>;
  read(caseId: string, headers: Record<string, string>): Promise<CaseBody>;
  decide(
    caseId: string,
    taskId: string,
    department: string,
    body: { decision: string; reason: string },
    etag: string,
  ): Promise<Awaited<ReturnType<TestApp['app']['inject']>>>;
  /**
   * Listens on 127.0.0.1 (a free port) and gives the base URL, for tests that race requests
   * over real sockets, each on its own connection, as clients do in production.
   */
  serve(): Promise<string>;
  /** Runs the overdue sweep now, at the clock's time; the number of tasks it reported. */
  sweep(): Promise<number>;
  close(): Promise<void>;
}

export interface CaseBody {
  id: string;
  number: string;
  trackingCode: string;
  status: string;
  version: number;
  etag: string;
  dueAt: string | null;
  paused: boolean;
  records: {
    pulled: boolean;
    references: { type: string; recordId: string; digest: string }[];
    missing: { type: string; step: string; issuerDepartment: string | null }[];
  };
  tasks: {
    id: string;
    step: string;
    department: string;
    status: string;
    dueAt: string | null;
    openedAt: string | null;
    paused: boolean;
    overdue: boolean;
    escalated: boolean;
  }[];
}

export const RESTAURANT_FORM = {
  businessName: '老街面馆',
  premisesAddress: '青云路 18 号一层',
  floorAreaSqm: 86.5,
  seats: 40,
  legalRepresentative: '张伟',
};

/** Workflow with the shipped catalogue, a test issuer standing in for identity, one clock. */
export async function startCaseWorld(
  deps: Partial<
    Pick<WorkflowDeps, 'pullRecords' | 'checkVerification' | 'caseRecordsJob' | 'slaOverdueJob'>
  > = {},
  env: Record<string, string> = {},
): Promise<CaseWorld> {
  const clock = manualClock();
  const issuer = await testIssuer(clock.now);
  const app = await startTestApp(env, {
    clock: clock.now,
    keyResolver: issuer.keyResolver,
    catalogueDir: CATALOGUE,
    // The test runs the overdue sweep itself (world.sweep), after moving the clock.
    slaOverdueJob: MANUAL_JOB,
    ...deps,
  });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const officer = async (department: string) =>
    bearer(
      await issuer.staff(
        department,
        ['case_officer'],
        `officer-${department}`,
        'cases:read cases:decide records:read',
      ),
    );
  const withEtag = (res: { json(): unknown; headers: Record<string, unknown> }) => ({
    ...(res.json() as CaseBody),
    etag: String(res.headers.etag),
  });
  return {
    app,
    issuer,
    clock,
    officer,
    clerk: async (department) =>
      bearer(
        await issuer.staff(
          department,
          ['counter_clerk'],
          `clerk-${department}`,
          'cases:read cases:write',
        ),
      ),
    resident: (subject) => residentOf(issuer, clock.now, subject),
    async submit(resident, service, form) {
      const res = await app.app.inject({
        method: 'POST',
        url: '/v1/cases',
        headers: await resident.headersFor('POST', '/v1/cases'),
        payload: { service, form },
      });
      expect(res.statusCode, res.body).toBe(201);
      return withEtag(res);
    },
    async read(caseId, headers) {
      const res = await app.app.inject({ method: 'GET', url: `/v1/cases/${caseId}`, headers });
      expect(res.statusCode, res.body).toBe(200);
      return withEtag(res);
    },
    async decide(caseId, taskId, department, body, etag) {
      return app.app.inject({
        method: 'POST',
        url: `/v1/cases/${caseId}/tasks/${taskId}/decision`,
        headers: { ...(await officer(department)), 'if-match': etag },
        payload: body,
      });
    },
    serve: () => app.app.listen({ host: '127.0.0.1', port: 0 }),
    async sweep() {
      const run = await app.app.jobs.runNow(SLA_OVERDUE_JOB);
      if (run.outcome === 'failure') throw run.error;
      return run.value as number;
    },
    close: () => app.close(),
  };
}
