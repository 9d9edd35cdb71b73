import {
  decodeCursor,
  errors,
  type ListQuery,
  page,
  type RequestContext,
} from '@tongban/service-kit';
import { and, desc, eq, lt, or } from 'drizzle-orm';
import { departments, verifications } from '../../db/schema.js';
import type { Actor } from '../context.js';

/** The resident's own record of who checked their identity, when and where. */
export async function listMyVerifications({
  ctx,
  input,
}: {
  ctx: RequestContext<Actor>;
  input: ListQuery;
}) {
  const { actor } = ctx;
  if (actor.kind !== 'resident') throw errors.forbidden();
  const cursor = decodeCursor(input.cursor, 2);
  const after =
    cursor && typeof cursor[0] === 'string' && typeof cursor[1] === 'string'
      ? { at: new Date(cursor[0]), id: cursor[1] }
      : undefined;
  if (after && Number.isNaN(after.at.getTime())) throw errors.validationFailed('Bad cursor.');
  const rows = await ctx.db
    .select({ v: verifications, nameZh: departments.nameZh, nameEn: departments.nameEn })
    .from(verifications)
    .leftJoin(departments, eq(departments.code, verifications.verifierDepartment))
    .where(
      and(
        eq(verifications.subjectId, actor.subject),
        after
          ? or(
              lt(verifications.verifiedAt, after.at),
              and(eq(verifications.verifiedAt, after.at), lt(verifications.id, after.id)),
            )
          : undefined,
      ),
    )
    .orderBy(desc(verifications.verifiedAt), desc(verifications.id))
    .limit(input.limit + 1);
  return page(
    rows,
    input.limit,
    (r) => ({
      id: r.v.id,
      method: r.v.method as 'presentation' | 'in_person',
      verifiedAt: r.v.verifiedAt.toISOString(),
      verifier: {
        kind: r.v.verifierKind as 'staff' | 'client',
        department: {
          code: r.v.verifierDepartment,
          name: { zh: r.nameZh ?? r.v.verifierDepartment, en: r.nameEn ?? r.v.verifierDepartment },
        },
      },
      counter: r.v.counter,
    }),
    (r) => [r.v.verifiedAt.toISOString(), r.v.id],
  );
}
