import type { Actor } from '@tongban/auth';
import { type ApiError, errors, type RequestContext } from '@tongban/service-kit';
import {
  type ActivePolicy,
  findActivePolicy,
  type RecordHead,
  type RecordVersionRow,
} from '../../db/queries/record-reads.js';
import { problem } from '../../errors.js';
import { type AccessEntryInput, appendAccessEntry } from '../access-log/append-entry.js';
import type { CaseGrantCheck, CaseGrantVerifier } from '../case-grants/verify-case-grant.js';
import {
  type AccessDecision,
  type DenialCode,
  decideAccess,
  type ReadTarget,
  releaseFields,
} from './decide-access.js';
import {
  formatReadPurpose,
  parseReadPurpose,
  policyPurposeOf,
  type ReadPurpose,
} from './purpose.js';
import { hasValidConsent } from './valid-consent.js';

/** What the read verbs receive: the request context plus workflow's case-grant verifier. */
export interface ReadContext extends RequestContext<Actor> {
  readonly caseGrants: CaseGrantVerifier;
}

/** A record as a read releases it: the head, the version read, and only the released fields. */
export interface ReleasedRecord {
  readonly id: string;
  readonly type: string;
  readonly subjectId: string;
  readonly issuerDepartment: string;
  readonly status: 'active' | 'revoked';
  readonly version: number;
  /** SHA-256 (base64url) of the RFC 8785 canonical JSON of the version's whole data. */
  readonly digest: string;
  readonly publishedAt: string;
  readonly data: Record<string, unknown>;
  readonly releasedFields: string[];
}

/** Who read, why, and where the read was logged: what a record certificate states beside the record. */
export interface ReadAccess {
  readonly entryId: string;
  readonly occurredAt: Date;
  /** The purpose as stated (`case:<id>` for a case). */
  readonly purpose: string;
  readonly caseId: string | null;
  readonly readerKind: Actor['kind'];
  readonly reader: string;
  readonly readerDepartment: string | null;
}

const NO_GRANT: CaseGrantCheck = { status: 'absent' };

export function requirePurpose(value: string): ReadPurpose {
  const purpose = parseReadPurpose(value);
  if (purpose === undefined) {
    throw errors.validationFailed('The purpose is not one a read may state.', {
      errors: [
        {
          field: 'querystring.purpose',
          message: 'must be a policy purpose, case:<caseId> or self',
        },
      ],
    });
  }
  return purpose;
}

/**
 * Checks the `Case-Grant` header when the purpose is a case, before any transaction opens: the
 * check may fetch workflow's JWKS, and no transaction should wait on the network.
 */
export function checkCaseGrant(
  ctx: ReadContext,
  purpose: ReadPurpose,
  header: string | undefined,
): Promise<CaseGrantCheck> {
  return purpose.kind === 'case'
    ? ctx.caseGrants.check(header, ctx.clock())
    : Promise.resolve(NO_GRANT);
}

/** Looks up what ADR 0013's decision needs (policy, consent) in the read's transaction, then decides. */
export async function decideRead(
  ctx: ReadContext,
  question: {
    readonly target: ReadTarget;
    readonly purpose: ReadPurpose;
    readonly view: 'record' | 'list';
    readonly caseGrant: CaseGrantCheck;
    /** The reader's policy when already fetched with the record (`policyKeyOf`); null: none. */
    readonly policy?: ActivePolicy | null | undefined;
  },
): Promise<AccessDecision> {
  const { actor } = ctx;
  const { target, purpose } = question;
  const policyPurpose = policyPurposeOf(purpose);
  const department = actor.kind === 'resident' ? undefined : actor.department;
  const policy =
    department !== undefined &&
    department !== target.issuerDepartment &&
    policyPurpose !== undefined
      ? question.policy !== undefined
        ? (question.policy ?? undefined)
        : await findActivePolicy(ctx.db, {
            readerDepartment: department,
            typeCode: target.typeCode,
            purpose: policyPurpose,
          })
      : undefined;
  const consent =
    policy?.consentRequired === true && department !== undefined && policyPurpose !== undefined
      ? await hasValidConsent(ctx.db, {
          subjectId: target.subjectId,
          department,
          typeCode: target.typeCode,
          purpose: policyPurpose,
          at: ctx.clock(),
        })
      : false;
  return decideAccess({
    reader: actor,
    target,
    purpose,
    view: question.view,
    policy,
    consent,
    caseGrant: question.caseGrant,
  });
}

/** The policy a department's read would be decided by, so it can be fetched with the record. */
export function policyKeyOf(
  ctx: ReadContext,
  purpose: ReadPurpose,
): { readonly readerDepartment: string; readonly purpose: string } | undefined {
  const department = ctx.actor.kind === 'resident' ? undefined : ctx.actor.department;
  const policyPurpose = policyPurposeOf(purpose);
  return department === undefined || policyPurpose === undefined
    ? undefined
    : { readerDepartment: department, purpose: policyPurpose };
}

/** The access-log entry's purpose and case for a stated purpose. */
export function purposeEntry(purpose: ReadPurpose): Pick<AccessEntryInput, 'purpose' | 'caseId'> {
  return {
    purpose: formatReadPurpose(purpose),
    caseId: purpose.kind === 'case' ? purpose.caseId : undefined,
  };
}

/** Appends a refusal to the access log; the caller commits it and then throws `refusal(code)`. */
export function logRefusal(
  ctx: ReadContext,
  entry: Omit<AccessEntryInput, 'outcome' | 'fields' | 'denialCode'>,
  code: DenialCode | 'record_revoked',
): Promise<unknown> {
  return appendAccessEntry(ctx, { ...entry, fields: [], outcome: 'denied', denialCode: code });
}

/**
 * The refusal of an existing record: its `denied` entry is appended (committed with the read's
 * transaction, which then ends without data) and the error to answer with is handed back.
 */
export async function refuseRecord(
  ctx: ReadContext,
  head: RecordHead,
  purpose: ReadPurpose,
  code: DenialCode | 'record_revoked',
): Promise<{ readonly kind: 'refused'; readonly error: ApiError }> {
  await logRefusal(
    ctx,
    {
      subjectId: head.subjectId,
      ...purposeEntry(purpose),
      recordId: head.id,
      typeCode: head.typeCode,
    },
    code,
  );
  return {
    kind: 'refused',
    error: code === 'record_revoked' ? revokedRecord(head) : refusal(code, head, purpose),
  };
}

const NOT_FOUND_DETAIL = 'No such record.';

export function recordNotFound(): ApiError {
  return errors.notFound(NOT_FOUND_DETAIL);
}

/** The error a denial answers with. */
export function refusal(code: DenialCode, target: ReadTarget, purpose: ReadPurpose): ApiError {
  switch (code) {
    case 'not_found':
      // Word for word what a missing record gets, so nothing tells the two apart.
      return recordNotFound();
    case 'forbidden':
      return errors.forbidden('You may not read these records for this purpose.');
    case 'purpose_not_allowed':
      return problem(
        'purpose_not_allowed',
        `No access policy lets your department read ${target.typeCode} records for the purpose ${formatReadPurpose(purpose)}.`,
      );
    case 'consent_required':
      return problem(
        'consent_required',
        "This purpose needs the resident's consent, which is absent, expired or withdrawn.",
      );
    case 'case_grant_required':
      return problem(
        'case_grant_required',
        'A case-bound read needs the Case-Grant header from the workflow service.',
      );
    case 'case_grant_expired':
      return problem('case_grant_expired', 'The case grant has expired.');
    case 'case_grant_invalid':
      return problem(
        'case_grant_invalid',
        'The case grant is invalid, or not for this case, subject, department or record type.',
      );
  }
}

export function revokedRecord(record: RecordHead): ApiError {
  return problem('record_revoked', 'The issuing department revoked this record.', {
    extensions: {
      revokedAt: record.revokedAt?.toISOString() ?? null,
      reason: record.revokeReason ?? null,
    },
  });
}

/** The record as released by a decision; `fields` lists the names actually released. */
export function releasedRecord(
  record: RecordHead,
  version: RecordVersionRow,
  fields: 'every' | readonly string[],
): ReleasedRecord {
  const released = releaseFields(version.data as Record<string, unknown>, fields);
  return {
    id: record.id,
    type: record.typeCode,
    subjectId: record.subjectId,
    issuerDepartment: record.issuerDepartment,
    status: record.status,
    version: version.version,
    digest: version.digest,
    publishedAt: version.publishedAt.toISOString(),
    data: released.data,
    releasedFields: released.fields,
  };
}

/** Appends the entry of a released read, in the transaction that read the data. */
export async function logRelease(
  ctx: ReadContext,
  purpose: ReadPurpose,
  record: ReleasedRecord,
): Promise<ReadAccess> {
  const { actor } = ctx;
  const entry = purposeEntry(purpose);
  const { id, occurredAt } = await appendAccessEntry(ctx, {
    subjectId: record.subjectId,
    ...entry,
    recordId: record.id,
    typeCode: record.type,
    recordVersion: record.version,
    fields: record.releasedFields,
    outcome: 'released',
  });
  return {
    entryId: id,
    occurredAt,
    purpose: entry.purpose,
    caseId: entry.caseId ?? null,
    readerKind: actor.kind,
    reader: actor.subject,
    readerDepartment: actor.department ?? null,
  };
}
