import type { Actor } from '@tongban/auth';
import { errors, type RequestContext, uuidV7, withTransaction } from '@tongban/service-kit';
import { insertPolicy } from '../../db/queries/policies.js';
import { findRecordTypeTerms } from '../../db/queries/record-reads.js';
import { problem } from '../../errors.js';
import { SELF_PURPOSE } from '../access/purpose.js';
import { recordChange } from '../events/record-change.js';
import { assertPolicyAuthority, toPolicy } from './policy-authority.js';

export interface CreatePolicyInput {
  readonly readerDepartment: string;
  readonly recordType: string;
  /** A policy purpose, or `case` for every `case:<caseId>` read (which also needs a grant). */
  readonly purpose: string;
  readonly fields: readonly string[];
  readonly consentRequired: boolean;
}

type FieldError = { readonly field: string; readonly message: string };

/**
 * The issuing department allows another department to read named fields of a record type for
 * one purpose, with or without the resident's consent. One active policy per (reader
 * department, type, purpose); a change is a withdrawal and a new policy, so the history of who
 * was allowed what stays.
 */
export async function createPolicy({
  ctx,
  input,
}: {
  ctx: RequestContext<Actor>;
  input: CreatePolicyInput;
}) {
  const type = await findRecordTypeTerms(ctx.db, input.recordType);
  if (type === undefined) {
    throw errors.validationFailed('No such record type.', {
      errors: [{ field: 'body.recordType', message: 'is not a record type' }],
    });
  }
  assertPolicyAuthority(ctx.actor, type.issuerDepartment);

  const problems: FieldError[] = [];
  if (input.purpose === SELF_PURPOSE) {
    problems.push({ field: 'body.purpose', message: 'self is the resident’s own purpose' });
  }
  if (input.readerDepartment === type.issuerDepartment) {
    problems.push({
      field: 'body.readerDepartment',
      message: 'is the issuing department, which reads its records without a policy',
    });
  }
  const known = topLevelFields(type.fieldSchema);
  input.fields.forEach((name, index) => {
    if (!known.has(name)) {
      problems.push({
        field: `body.fields.${index}`,
        message: `${name} is not a top-level field of ${type.code}`,
      });
    }
  });
  if (problems.length > 0) {
    throw errors.validationFailed('The policy does not fit the record type.', {
      errors: problems,
    });
  }

  return withTransaction(ctx, async (ctx) => {
    const now = ctx.clock();
    const row = await insertPolicy(ctx.db, {
      id: uuidV7(now),
      readerDepartment: input.readerDepartment,
      typeCode: type.code,
      purpose: input.purpose,
      fields: [...input.fields],
      consentRequired: input.consentRequired,
      createdBy: `${ctx.actor.kind}:${ctx.actor.subject}`,
      createdAt: now,
    });
    if (row === undefined) {
      throw problem(
        'already_exists',
        `${input.readerDepartment} already has an active policy for ${type.code} and ${input.purpose}; withdraw it first.`,
      );
    }
    await recordChange(ctx, {
      aggregate: { type: 'access_policy', id: row.id },
      type: 'policy.created',
      data: {
        id: row.id,
        readerDepartment: row.readerDepartment,
        recordType: row.typeCode,
        purpose: row.purpose,
      },
    });
    return toPolicy(row);
  });
}

function topLevelFields(fieldSchema: unknown): ReadonlySet<string> {
  const properties = (fieldSchema as { properties?: unknown } | null)?.properties;
  return typeof properties === 'object' && properties !== null
    ? new Set(Object.keys(properties))
    : new Set();
}
