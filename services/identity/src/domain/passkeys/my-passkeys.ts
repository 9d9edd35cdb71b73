import { errors, type RequestContext, withTransaction } from '@tongban/service-kit';
import { and, asc, eq } from 'drizzle-orm';
import { staffPasskeys } from '../../db/schema.js';
import type { Actor } from '../context.js';
import { recordChange } from '../events/record-change.js';

function staffOf(actor: Actor): string {
  if (actor.kind !== 'staff') throw errors.forbidden('Passkeys are for staff.');
  return actor.subject;
}

/** The caller's own passkeys; nobody lists another's. */
export function listMyPasskeys({ ctx }: { ctx: RequestContext<Actor> }) {
  return ctx.db
    .select()
    .from(staffPasskeys)
    .where(eq(staffPasskeys.staffId, staffOf(ctx.actor)))
    .orderBy(asc(staffPasskeys.createdAt), asc(staffPasskeys.id));
}

/** Removes one of the caller's passkeys; another's is not found, as if it did not exist. */
export async function removeMyPasskey({
  ctx,
  input,
}: {
  ctx: RequestContext<Actor>;
  input: { id: string };
}): Promise<void> {
  const staffId = staffOf(ctx.actor);
  await withTransaction(ctx, async (ctx) => {
    const [row] = await ctx.db
      .delete(staffPasskeys)
      .where(and(eq(staffPasskeys.id, input.id), eq(staffPasskeys.staffId, staffId)))
      .returning({ id: staffPasskeys.id });
    if (!row) throw errors.notFound('No such passkey.');
    await recordChange(ctx, {
      aggregate: { type: 'passkey', id: row.id },
      type: 'passkey.removed',
      data: { passkeyId: row.id },
      audience: ctx.actor.department,
    });
  });
}
