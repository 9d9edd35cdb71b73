import { errors } from '@tongban/service-kit';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { credentialEvents, credentials } from '../../db/schema.js';
import { problem } from '../../errors.js';
import type { Actor, IdentityContext } from '../context.js';

export type StatusAction = 'revoke' | 'suspend' | 'reinstate';

// Revocation is final; suspension is reversible.
const TRANSITIONS: Record<StatusAction, { from: readonly string[]; to: string }> = {
  revoke: { from: ['valid', 'suspended'], to: 'revoked' },
  suspend: { from: ['valid'], to: 'suspended' },
  reinstate: { from: ['suspended'], to: 'valid' },
};

type CredentialRow = typeof credentials.$inferSelect;

export function toCredential(row: CredentialRow) {
  return {
    id: row.id,
    subjectId: row.subjectId,
    statusIndex: row.statusIndex,
    status: row.status as 'valid' | 'revoked' | 'suspended',
    version: row.version,
    issuedAt: row.issuedAt.toISOString(),
    statusChangedAt: row.statusChangedAt?.toISOString() ?? null,
    statusReason: row.statusReason,
  };
}

export const etagOf = (row: { id: string; version: number }) => `"${row.id}.v${row.version}"`;

function canManage(actor: Actor): boolean {
  return (
    actor.kind === 'staff' &&
    (actor.roles.includes('department_admin') || actor.roles.includes('system_admin'))
  );
}

export async function getCredential({
  ctx,
  actor,
  id,
}: {
  ctx: IdentityContext;
  actor: Actor;
  id: string;
}) {
  if (actor.kind !== 'staff') throw errors.forbidden();
  const [row] = await ctx.db.select().from(credentials).where(eq(credentials.id, id)).limit(1);
  if (!row) throw errors.notFound('No such credential.');
  return row;
}

/**
 * Revoke, suspend or reinstate, with a reason, as one conditional update plus its audit event in
 * one transaction. The WHERE clause carries the allowed source states (and the version when the
 * client sent If-Match), so two admins racing cannot both win.
 */
export async function changeCredentialStatus({
  ctx,
  actor,
  input,
}: {
  ctx: IdentityContext;
  actor: Actor;
  input: { id: string; action: StatusAction; reason: string; ifMatch?: string | undefined };
}) {
  if (!canManage(actor))
    throw errors.forbidden('Changing a credential needs the department_admin role.');
  const rule = TRANSITIONS[input.action];
  const now = ctx.clock();
  const changed = await ctx.db.transaction(async (tx) => {
    const [current] = await tx
      .select()
      .from(credentials)
      .where(eq(credentials.id, input.id))
      .limit(1);
    if (!current) throw errors.notFound('No such credential.');
    if (input.ifMatch !== undefined && input.ifMatch !== '*' && input.ifMatch !== etagOf(current)) {
      throw errors.versionConflict('The credential changed since you read it.');
    }
    const [updated] = await tx
      .update(credentials)
      .set({
        status: rule.to,
        version: sql`${credentials.version} + 1`,
        statusChangedAt: now,
        statusReason: input.reason,
      })
      .where(
        and(
          eq(credentials.id, input.id),
          eq(credentials.version, current.version),
          inArray(credentials.status, [...rule.from]),
        ),
      )
      .returning();
    if (!updated) {
      const [again] = await tx
        .select()
        .from(credentials)
        .where(eq(credentials.id, input.id))
        .limit(1);
      if (again && again.version !== current.version)
        throw errors.versionConflict('The credential changed meanwhile.');
      throw problem(
        'invalid_transition',
        `A ${current.status} credential cannot be ${input.action === 'reinstate' ? 'reinstated' : `${input.action}d`}.`,
      );
    }
    await tx.insert(credentialEvents).values({
      credentialId: updated.id,
      action: input.action,
      fromStatus: current.status,
      toStatus: updated.status,
      reason: input.reason,
      actorId: actor.subject,
      actorDepartment: actor.department ?? 'unknown',
      at: now,
    });
    return updated;
  });
  // This replica's cached status lists are stale now; others catch up within the cache age.
  ctx.statusLists.invalidate();
  return changed;
}
