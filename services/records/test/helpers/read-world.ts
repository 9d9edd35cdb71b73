import { randomUUID } from 'node:crypto';
import { asc, eq } from 'drizzle-orm';
import { accessLog } from '../../src/db/schema.js';
import { startTestApp, type TestApp } from './app.js';
import { type CaseGrantKey, caseGrantKey } from './case-grant.js';
import { manualClock, type ReadCallers, readCallers, residentHeaders } from './read-callers.js';

/** What a read test publishes: a record's versions (the last is current), maybe revoked after. */
export interface PublishedRecordSpec {
  readonly issuer: string;
  readonly type: string;
  readonly subjectId: string;
  /** Version 1 first; each later one is a `PUT` with the ETag the previous write answered. */
  readonly versions: readonly Record<string, unknown>[];
  /** Revoke it after the last version, with this reason. */
  readonly revoke?: string;
  /**
   * How far the clock moves before each write after the first (default 0: every write at the
   * same instant). The record's versions and revocation are stamped by the service's clock.
   */
  readonly stepMs?: number;
}

export interface PublishedRecord {
  readonly id: string;
  /** The digest the service answered for each version, version 1 first. */
  readonly digests: readonly string[];
  /** The record's ETag after the last write. */
  readonly etag: string;
}

export interface ConsentSpec {
  readonly subjectId: string;
  readonly department: string;
  readonly typeCode: string;
  readonly purpose: string;
  /** Default: 30 days from the clock's now. */
  readonly expiresAt?: Date;
}

export interface GrantedConsent {
  readonly id: string;
  readonly subjectId: string;
}

/**
 * A records service with a hand-moved clock, identity's and workflow's keys as tests hold them,
 * and the calls read tests make, every one through the API: record types and policies by the
 * issuing department's administrator, records by its system (`records:write`), consents by the
 * resident with their DPoP-bound token.
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
  /** `POST /v1/records`, then `PUT /v1/records/{id}` per later version, then the revocation. */
  publishRecord(record: PublishedRecordSpec): Promise<PublishedRecord>;
  /** `POST /v1/consents` as the resident. */
  grantConsent(consent: ConsentSpec): Promise<GrantedConsent>;
  /** `DELETE /v1/consents/{id}` as the resident. */
  revokeConsent(consent: GrantedConsent): Promise<void>;
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

  const send = async (
    request: {
      method: 'POST' | 'PUT' | 'DELETE';
      url: string;
      headers: Record<string, string>;
      payload?: unknown;
    },
    expected: number,
  ) => {
    const res = await t.app.inject({
      method: request.method,
      url: request.url,
      headers: request.headers,
      ...(request.payload === undefined ? {} : { payload: request.payload as object }),
    });
    if (res.statusCode !== expected) {
      throw new Error(`${request.method} ${request.url}: ${res.statusCode} ${res.body}`);
    }
    return res;
  };
  const post = async (url: string, token: string, payload: unknown) =>
    (
      await send(
        { method: 'POST', url, headers: { authorization: `Bearer ${token}` }, payload },
        201,
      )
    ).json();

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
    async publishRecord(record) {
      const [first, ...later] = record.versions;
      if (first === undefined) throw new Error('a record has at least one version');
      // A fresh token per write: the clock may have moved past an earlier one's lifetime.
      const writer = async () => ({
        authorization: `Bearer ${await callers.client(record.issuer, ['records:write'])}`,
      });
      const published = await send(
        {
          method: 'POST',
          url: '/v1/records',
          headers: await writer(),
          payload: { type: record.type, subjectId: record.subjectId, data: first },
        },
        201,
      );
      const { id, digest } = published.json() as { id: string; digest: string };
      const digests = [digest];
      let etag = String(published.headers.etag);
      for (const data of later) {
        clock.advance(record.stepMs ?? 0);
        const amended = await send(
          {
            method: 'PUT',
            url: `/v1/records/${id}`,
            headers: { ...(await writer()), 'if-match': etag },
            payload: { data },
          },
          200,
        );
        digests.push((amended.json() as { digest: string }).digest);
        etag = String(amended.headers.etag);
      }
      if (record.revoke !== undefined) {
        clock.advance(record.stepMs ?? 0);
        const revoked = await send(
          {
            method: 'POST',
            url: `/v1/records/${id}/revoke`,
            headers: { ...(await writer()), 'if-match': etag },
            payload: { reason: record.revoke },
          },
          200,
        );
        etag = String(revoked.headers.etag);
      }
      return { id, digests, etag };
    },
    async grantConsent(consent) {
      const resident = await callers.resident(consent.subjectId);
      const url = '/v1/consents';
      const expiresAt = consent.expiresAt ?? new Date(clock.now().getTime() + 30 * 86_400_000);
      const res = await send(
        {
          method: 'POST',
          url,
          headers: await residentHeaders(resident, { method: 'POST', url }),
          payload: {
            department: consent.department,
            recordType: consent.typeCode,
            purpose: consent.purpose,
            expiresAt: expiresAt.toISOString(),
          },
        },
        201,
      );
      return { id: (res.json() as { id: string }).id, subjectId: consent.subjectId };
    },
    async revokeConsent(consent) {
      const resident = await callers.resident(consent.subjectId);
      const url = `/v1/consents/${consent.id}`;
      await send(
        {
          method: 'DELETE',
          url,
          headers: await residentHeaders(resident, { method: 'DELETE', url }),
        },
        200,
      );
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
