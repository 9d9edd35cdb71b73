import type { Actor } from '@tongban/auth';
import { errors, type RequestContext, uuidV7, withTransaction } from '@tongban/service-kit';
import { insertConsent, recordTypeExists } from '../../db/queries/consents.js';
import { recordChange } from '../events/record-change.js';
import { residentOf } from './resident-of.js';
import { toConsent } from './to-consent.js';

export interface GrantConsentInput {
  readonly department: string;
  readonly recordType: string;
  readonly purpose: string;
  readonly expiresAt: string;
}

/**
 * Purposes a consent cannot name. `case` is the policy purpose behind every case-bound read
 * (`case:<caseId>`), which the workflow's case grant authorises, so a consent would add nothing;
 * `self` is the resident reading their own records, which needs no one's consent.
 */
const RESERVED_PURPOSES: ReadonlySet<string> = new Set(['case', 'self']);

const invalid = (field: string, message: string, detail: string) =>
  errors.validationFailed(detail, { errors: [{ field: `body.${field}`, message }] });

/** The furthest a consent may reach: one calendar year from now. */
export function latestConsentExpiry(now: Date): Date {
  const latest = new Date(now.getTime());
  latest.setUTCFullYear(latest.getUTCFullYear() + 1);
  return latest;
}

/**
 * The resident lets a department read one type of their records for one purpose until a date
 * (at most a year ahead). The department need not be known to records (departments live in
 * identity); the record type must exist. Each grant is a consent of its own: an earlier one is
 * neither replaced nor extended, and each is revoked on its own.
 */
export async function grantConsent({
  ctx,
  input,
}: {
  ctx: RequestContext<Actor>;
  input: GrantConsentInput;
}) {
  const resident = residentOf(ctx.actor);
  const now = ctx.clock();
  if (RESERVED_PURPOSES.has(input.purpose)) {
    throw invalid(
      'purpose',
      'is reserved',
      input.purpose === 'case'
        ? 'Case-bound reads are authorised by the case itself; they need no consent.'
        : 'Reading your own records needs no consent.',
    );
  }
  const expiresAt = new Date(input.expiresAt);
  if (Number.isNaN(expiresAt.getTime()) || expiresAt.getTime() <= now.getTime()) {
    throw invalid('expiresAt', 'must be in the future', 'A consent must expire in the future.');
  }
  if (expiresAt.getTime() > latestConsentExpiry(now).getTime()) {
    throw invalid(
      'expiresAt',
      'must be at most one year ahead',
      'A consent lasts at most one year; grant a new one when it ends.',
    );
  }
  // A type that does not exist is a mistake in the request, not a missing resource at this URL.
  if (!(await recordTypeExists(ctx.db, input.recordType))) {
    throw invalid('recordType', 'is not a known record type', 'No such record type.');
  }
  return withTransaction(ctx, async (ctx) => {
    const row = await insertConsent(ctx.db, {
      id: uuidV7(now),
      subjectId: resident.subject,
      department: input.department,
      typeCode: input.recordType,
      purpose: input.purpose,
      expiresAt,
      createdAt: now,
    });
    await recordChange(ctx, {
      aggregate: { type: 'consent', id: row.id },
      type: 'consent.granted',
      data: {
        department: row.department,
        recordType: row.typeCode,
        purpose: row.purpose,
      },
      audience: row.department,
    });
    return toConsent(row, now);
  });
}
