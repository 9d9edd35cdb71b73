import { errors, type RequestContext } from '@tongban/service-kit';
import { and, eq } from 'drizzle-orm';
import { verifications } from '../../db/schema.js';
import type { Actor } from '../context.js';

/** The scope that reads a verification back: the same one that makes it. */
export const READ_VERIFICATION_SCOPE = 'presentations:verify';

export interface VerificationSummary {
  readonly id: string;
  readonly method: 'presentation' | 'in_person';
  readonly subjectId: string;
  readonly verifierDepartment: string;
  readonly verifiedAt: string;
}

/**
 * A verification as the department that made it sees it again, e.g. when a case is opened on
 * the strength of it: who (the pseudonymous subject id only, no name or ID number), how and when.
 * The query is scoped to the caller's department, so another department's verification and an
 * unknown id are the same 404: a verification id is no oracle for who was checked where.
 */
export async function getVerification({
  ctx,
  input,
}: {
  ctx: RequestContext<Actor>;
  input: { id: string };
}): Promise<VerificationSummary> {
  const { actor } = ctx;
  if (actor.kind === 'resident' || !actor.scopes.has(READ_VERIFICATION_SCOPE)) {
    throw errors.forbidden(`Reading a verification needs the ${READ_VERIFICATION_SCOPE} scope.`);
  }
  const [row] = await ctx.db
    .select({
      id: verifications.id,
      method: verifications.method,
      subjectId: verifications.subjectId,
      verifierDepartment: verifications.verifierDepartment,
      verifiedAt: verifications.verifiedAt,
    })
    .from(verifications)
    .where(
      and(eq(verifications.id, input.id), eq(verifications.verifierDepartment, actor.department)),
    )
    .limit(1);
  if (!row) throw errors.notFound('No such verification.');
  return {
    id: row.id,
    method: row.method as VerificationSummary['method'],
    subjectId: row.subjectId,
    verifierDepartment: row.verifierDepartment,
    verifiedAt: row.verifiedAt.toISOString(),
  };
}
