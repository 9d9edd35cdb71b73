import type { Actor } from '@tongban/auth';
import { errors, type RequestContext, withTransaction } from '@tongban/service-kit';
import { findPolicy, withdrawPolicyRow } from '../../db/queries/policies.js';
import { findRecordTypeTerms } from '../../db/queries/record-reads.js';
import { recordChange } from '../events/record-change.js';
import { assertPolicyAuthority, toPolicy } from './policy-authority.js';

/**
 * Withdraws a policy: reads that relied on it are refused from the next one on (each read looks
 * the policy up in its own transaction). Withdrawal happens once; withdrawing again answers the
 * withdrawn policy unchanged, so a retry is harmless. There is no If-Match: the only change a
 * policy ever takes is this one, so there is no concurrent edit to lose.
 */
export async function withdrawPolicy({
  ctx,
  input,
}: {
  ctx: RequestContext<Actor>;
  input: { readonly id: string };
}) {
  return withTransaction(ctx, async (ctx) => {
    const current = await findPolicy(ctx.db, input.id);
    if (current === undefined) throw errors.notFound('No such policy.');
    const type = await findRecordTypeTerms(ctx.db, current.typeCode);
    if (type === undefined) throw errors.notFound('No such policy.');
    assertPolicyAuthority(ctx.actor, type.issuerDepartment);
    const withdrawn = await withdrawPolicyRow(ctx.db, current.id, ctx.clock());
    if (withdrawn === undefined) {
      // Already withdrawn (a retry, or a concurrent withdrawal that won): the state asked for holds.
      const now = await findPolicy(ctx.db, input.id);
      if (now === undefined) throw errors.notFound('No such policy.');
      return toPolicy(now);
    }
    await recordChange(ctx, {
      aggregate: { type: 'access_policy', id: withdrawn.id },
      type: 'policy.withdrawn',
      data: {
        id: withdrawn.id,
        readerDepartment: withdrawn.readerDepartment,
        recordType: withdrawn.typeCode,
        purpose: withdrawn.purpose,
      },
    });
    return toPolicy(withdrawn);
  });
}
