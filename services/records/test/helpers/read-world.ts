import { randomUUID } from 'node:crypto';
import { uuidV7 } from '@tongban/service-kit';
import { and, asc, eq, isNull } from 'drizzle-orm';
import { accessLog, consents } from '../../src/db/schema.js';
import { startTestApp, type TestApp } from './app.js';
import { type CaseGrantKey, caseGrantKey } from './case-grant.js';
import { manualClock, type ReadCallers, readCallers } from './read-callers.js';

/**
 * A records service with a hand-moved clock, identity's and workflow's keys as tests hold them,
 * and the calls read tests make: record types and policies through the API, consents straight
 * into their table (the consent routes are built separately; revocation sets `revoked_at` as
 * they will).
 */
export interface ReadWorld {
  readonly t: TestApp;
  readonly clock: ReturnType<typeof manualClock>;
  readonly callers: ReadCallers;
  readonly grantKey: CaseGrantKey;
  createRecordType(issuer: string, code: string, properties: readonly string[]): Promise<void>;
  createPolicy(
    issuer: string,
    policy: {
      readerDepartment: string;
      recordType: string;
      purpose: string;
      fields: string[];
      consentRequired: boolean;
    },
  ): Promise<{ id: string }>;
  insertConsent(consent: {
    subjectId: string;
    department: string;
    typeCode: string;
    purpose: string;
    expiresAt?: Date;
  }): Promise<string>;
  revokeConsent(id: string): Promise<void>;
  /** The access-log entries a request wrote, by its request id. */
  entriesOf(requestId: string): Promise<(typeof accessLog.$inferSelect)[]>;
  close(): Promise<void>;
}

export async function startReadWorld(): Promise<ReadWorld> {
  const clock = manualClock();
  const callers = await readCallers(clock.now);
  const grantKey = await caseGrantKey();
  const t = await startTestApp(
    {},
    { keyResolver: callers.keyResolver, caseGrantKeyResolver: grantKey.resolver, clock: clock.now },
  );
  const db = t.database.db;

  const post = async (url: string, token: string, payload: unknown) => {
    const res = await t.app.inject({
      method: 'POST',
      url,
      headers: { authorization: `Bearer ${token}` },
      payload: payload as object,
    });
    if (res.statusCode !== 201) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
    return res.json();
  };

  return {
    t,
    clock,
    callers,
    grantKey,
    async createRecordType(issuer, code, properties) {
      await post('/v1/record-types', await callers.staff(issuer, ['department_admin']), {
        code,
        name: { zh: code, en: code },
        issuerDepartment: issuer,
        fieldSchema: {
          type: 'object',
          properties: Object.fromEntries(properties.map((p) => [p, { type: 'string' }])),
        },
        classification: Object.fromEntries(properties.map((p) => [p, 'personal'])),
      });
    },
    async createPolicy(issuer, policy) {
      return post('/v1/policies', await callers.staff(issuer, ['department_admin']), policy);
    },
    async insertConsent(consent) {
      const now = clock.now();
      const id = uuidV7(now);
      await db.insert(consents).values({
        id,
        subjectId: consent.subjectId,
        department: consent.department,
        typeCode: consent.typeCode,
        purpose: consent.purpose,
        expiresAt: consent.expiresAt ?? new Date(now.getTime() + 30 * 86_400_000),
        createdAt: now,
      });
      return id;
    },
    async revokeConsent(id) {
      await db
        .update(consents)
        .set({ revokedAt: clock.now() })
        .where(and(eq(consents.id, id), isNull(consents.revokedAt)));
    },
    entriesOf(requestId) {
      return db
        .select()
        .from(accessLog)
        .where(eq(accessLog.requestId, requestId))
        .orderBy(asc(accessLog.id));
    },
    close: () => t.close(),
  };
}

/** A request id of the test's own, so the access-log entries of each request can be found. */
export const requestId = () => `test-${randomUUID()}`;
