import type { Actor } from '@tongban/auth';
import { errors, type RequestContext, withTransaction } from '@tongban/service-kit';
import { consentOf, revokeConsentOf } from '../../db/queries/consents.js';
import { recordChange } from '../events/record-change.js';
import { residentOf } from './resident-of.js';
import { toConsent } from './to-consent.js';

/**
 * The resident withdraws a consent; reads that relied on it stop at once. Revoking is final and
 * idempotent: a consent already revoked is returned as it is, with no second event. Another
 * resident's consent is "not found", never "forbidden", so its existence is not revealed.
 */
export async function revokeConsent({
  ctx,
  input,
}: {
  ctx: RequestContext<Actor>;
  input: { id: string };
}) {
  const resident = residentOf(ctx.actor);
  const now = ctx.clock();
  return withTransaction(ctx, async (ctx) => {
    // The conditional update settles a race between two revocations: one of them changes the row.
    const revoked = await revokeConsentOf(ctx.db, resident.subject, input.id, now);
    if (revoked === undefined) {
      const existing = await consentOf(ctx.db, resident.subject, input.id);
      if (existing === undefined) throw errors.notFound('No such consent.');
      return toConsent(existing, now);
    }
    await recordChange(ctx, {
      aggregate: { type: 'consent', id: revoked.id },
      type: 'consent.revoked',
      data: {
        department: revoked.department,
        recordType: revoked.typeCode,
        purpose: revoked.purpose,
      },
      audience: revoked.department,
    });
    return toConsent(revoked, now);
  });
}
