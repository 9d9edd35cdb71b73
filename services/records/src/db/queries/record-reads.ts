import type { Db } from '@tongban/db';
import { and, asc, desc, eq, isNull, lt, sql } from 'drizzle-orm';
import { accessPolicies, recordsTable, recordTypes, recordVersions } from '../schema.js';
import type { RecordVersionRow } from './records.js';

export type { RecordVersionRow };

/** A record's head: what the access decision needs, before any data is read. */
export type RecordHead = Pick<
  typeof recordsTable.$inferSelect,
  | 'id'
  | 'typeCode'
  | 'subjectId'
  | 'issuerDepartment'
  | 'status'
  | 'version'
  | 'revokedAt'
  | 'revokeReason'
>;

const head = {
  id: recordsTable.id,
  typeCode: recordsTable.typeCode,
  subjectId: recordsTable.subjectId,
  issuerDepartment: recordsTable.issuerDepartment,
  status: recordsTable.status,
  version: recordsTable.version,
  revokedAt: recordsTable.revokedAt,
  revokeReason: recordsTable.revokeReason,
};

export async function findRecordHead(db: Db, id: string): Promise<RecordHead | undefined> {
  const [row] = await db.select(head).from(recordsTable).where(eq(recordsTable.id, id)).limit(1);
  return row;
}

/** A record's versions, newest first, below `before` when paging. */
export function listRecordVersions(
  db: Db,
  { recordId, before, limit }: { recordId: string; before: number | undefined; limit: number },
): Promise<RecordVersionRow[]> {
  return db
    .select()
    .from(recordVersions)
    .where(
      and(
        eq(recordVersions.recordId, recordId),
        before === undefined ? undefined : lt(recordVersions.version, before),
      ),
    )
    .orderBy(desc(recordVersions.version))
    .limit(limit);
}

/** What reads and policies need of a record type: who issues it and its fields. */
export async function findRecordTypeTerms(
  db: Db,
  code: string,
): Promise<
  | { readonly code: string; readonly issuerDepartment: string; readonly fieldSchema: unknown }
  | undefined
> {
  const [row] = await db
    .select({
      code: recordTypes.code,
      issuerDepartment: recordTypes.issuerDepartment,
      fieldSchema: recordTypes.fieldSchema,
    })
    .from(recordTypes)
    .where(eq(recordTypes.code, code))
    .limit(1);
  return row;
}

/** The policy in force for (reader department, type, policy purpose): at most one is active. */
export async function findActivePolicy(
  db: Db,
  key: { readerDepartment: string; typeCode: string; purpose: string },
): Promise<{ readonly fields: string[]; readonly consentRequired: boolean } | undefined> {
  const [row] = await db
    .select({ fields: accessPolicies.fields, consentRequired: accessPolicies.consentRequired })
    .from(accessPolicies)
    .where(
      and(
        eq(accessPolicies.readerDepartment, key.readerDepartment),
        eq(accessPolicies.typeCode, key.typeCode),
        eq(accessPolicies.purpose, key.purpose),
        isNull(accessPolicies.withdrawnAt),
      ),
    )
    .limit(1);
  return row;
}

/** Whether the subject holds any record of the type (revoked ones included). */
export async function subjectHoldsType(
  db: Db,
  subjectId: string,
  typeCode: string,
): Promise<boolean> {
  const [row] = await db
    .select({ id: recordsTable.id })
    .from(recordsTable)
    .where(and(eq(recordsTable.subjectId, subjectId), eq(recordsTable.typeCode, typeCode)))
    .limit(1);
  return row !== undefined;
}

export interface CurrentRecordRow {
  readonly head: RecordHead;
  readonly createdAt: Date;
  readonly current: RecordVersionRow;
}

/**
 * A subject's records of one type with their current version, oldest first, after the
 * (created_at, id) of `after` when paging. Revoked records are left out unless asked for: they
 * are no longer valid records, and their history stays readable by id.
 */
export async function listCurrentRecords(
  db: Db,
  {
    subjectId,
    typeCode,
    after,
    limit,
    includeRevoked,
  }: {
    subjectId: string;
    typeCode: string;
    after: { readonly createdAt: Date; readonly id: string } | undefined;
    limit: number;
    includeRevoked: boolean;
  },
): Promise<CurrentRecordRow[]> {
  const rows = await db
    .select({ head, createdAt: recordsTable.createdAt, current: recordVersions })
    .from(recordsTable)
    .innerJoin(
      recordVersions,
      and(
        eq(recordVersions.recordId, recordsTable.id),
        eq(recordVersions.version, recordsTable.version),
      ),
    )
    .where(
      and(
        eq(recordsTable.subjectId, subjectId),
        eq(recordsTable.typeCode, typeCode),
        includeRevoked ? undefined : eq(recordsTable.status, 'active'),
        after === undefined
          ? undefined
          : sql`(${recordsTable.createdAt}, ${recordsTable.id}) > (${after.createdAt.toISOString()}::timestamptz, ${after.id}::uuid)`,
      ),
    )
    .orderBy(asc(recordsTable.createdAt), asc(recordsTable.id))
    .limit(limit);
  return rows;
}

export type ActivePolicy = NonNullable<Awaited<ReturnType<typeof findActivePolicy>>>;

/**
 * One round trip for a single read: the record's head, the wanted version (the current one when
 * `version` is absent) and the reader's active policy for the record's type and the purpose (when
 * `policyKey` is given). The decision still runs on the head alone; the version's data is only
 * released if it allows. `policy` is null when there is no active policy, undefined when none was
 * asked for.
 */
export async function findRecordForRead(
  db: Db,
  input: {
    readonly id: string;
    readonly version: number | undefined;
    readonly policyKey: { readonly readerDepartment: string; readonly purpose: string } | undefined;
  },
): Promise<
  | {
      readonly head: RecordHead;
      readonly version: RecordVersionRow | undefined;
      readonly policy: ActivePolicy | null | undefined;
    }
  | undefined
> {
  const { policyKey } = input;
  // Hand-written: the hottest query of the service, and the query builder's cost per call is
  // about what the database spends answering it.
  const result = await db.execute(sql`
    select r.id, r.type_code, r.subject_id, r.issuer_department, r.status, r.version,
           r.revoked_at, r.revoke_reason,
           v.version as v_version, v.data as v_data, v.digest as v_digest,
           v.published_by as v_published_by, v.published_at as v_published_at,
           p.fields as p_fields, p.consent_required as p_consent_required
      from records.records r
      left join records.record_versions v
        on v.record_id = r.id
       and v.version = ${input.version === undefined ? sql`r.version` : sql`${input.version}`}
      left join records.access_policies p
        on ${
          policyKey === undefined
            ? sql`false`
            : sql`p.reader_department = ${policyKey.readerDepartment}
                 and p.type_code = r.type_code
                 and p.purpose = ${policyKey.purpose}
                 and p.withdrawn_at is null`
        }
     where r.id = ${input.id}
     limit 1`);
  const row = (result as unknown as { rows: ReadRow[] }).rows[0];
  if (row === undefined) return undefined;
  return {
    head: {
      id: row.id,
      typeCode: row.type_code,
      subjectId: row.subject_id,
      issuerDepartment: row.issuer_department,
      status: row.status,
      version: row.version,
      revokedAt: toDate(row.revoked_at),
      revokeReason: row.revoke_reason,
    },
    version:
      row.v_version === null
        ? undefined
        : {
            recordId: row.id,
            version: row.v_version,
            data: row.v_data,
            digest: row.v_digest ?? '',
            publishedBy: row.v_published_by ?? '',
            publishedAt: toDate(row.v_published_at) ?? new Date(0),
          },
    policy:
      policyKey === undefined
        ? undefined
        : row.p_fields === null || row.p_consent_required === null
          ? null
          : { fields: row.p_fields, consentRequired: row.p_consent_required },
  };
}

interface ReadRow {
  readonly id: string;
  readonly type_code: string;
  readonly subject_id: string;
  readonly issuer_department: string;
  readonly status: 'active' | 'revoked';
  readonly version: number;
  readonly revoked_at: Date | string | null;
  readonly revoke_reason: string | null;
  readonly v_version: number | null;
  readonly v_data: unknown;
  readonly v_digest: string | null;
  readonly v_published_by: string | null;
  readonly v_published_at: Date | string | null;
  readonly p_fields: string[] | null;
  readonly p_consent_required: boolean | null;
}

const toDate = (value: Date | string | null): Date | null =>
  value === null ? null : value instanceof Date ? value : new Date(value);
