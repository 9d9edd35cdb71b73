import {
  errors,
  etagOf,
  type IfMatch,
  ifMatchHolds,
  type RequestContext,
  updateVersioned,
  withTransaction,
} from '@tongban/service-kit';
import { eq, inArray } from 'drizzle-orm';
import { credentialEvents, credentials } from '../../db/schema.js';
import { problem } from '../../errors.js';
import type { Actor, IdentityContext } from '../context.js';
import { recordChange } from '../events/record-change.js';

export type StatusAction = 'revoke' | 'suspend' | 'reinstate';

// Revocation is final; suspension is reversible.
const TRANSITIONS: Record<StatusAction, { from: readonly string[]; to: string; event: string }> = {
  revoke: { from: ['valid', 'suspended'], to: 'revoked', event: 'credential.revoked' },
  suspend: { from: ['valid'], to: 'suspended', event: 'credential.suspended' },
  reinstate: { from: ['suspended'], to: 'valid', event: 'credential.reinstated' },
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

function canManage(actor: Actor): boolean {
  return (
    actor.kind === 'staff' &&
    (actor.roles.includes('department_admin') || actor.roles.includes('system_admin'))
  );
}

export async function getCredential({
  ctx,
  input,
}: {
  ctx: RequestContext<Actor>;
  input: { id: string };
}) {
  if (ctx.actor.kind !== 'staff') throw errors.forbidden();
  const [row] = await ctx.db
    .select()
    .from(credentials)
    .where(eq(credentials.id, input.id))
    .limit(1);
  if (!row) throw errors.notFound('No such credential.');
  return row;
}

/**
 * Revoke, suspend or reinstate, with a reason: one conditional update (on the version read and
 * the allowed source states), its audit row, its event and its outbox row, in one transaction.
 * Two admins racing from the same version cannot both win; the loser gets 412.
 */
export async function changeCredentialStatus({
  ctx,
  input,
}: {
  ctx: RequestContext<Actor> & Pick<IdentityContext, 'statusLists'>;
  input: { id: string; action: StatusAction; reason: string; ifMatch?: IfMatch | undefined };
}) {
  const { actor } = ctx;
  if (!canManage(actor))
    throw errors.forbidden('Changing a credential needs the department_admin role.');
  const rule = TRANSITIONS[input.action];
  const now = ctx.clock();
  const changed = await withTransaction(ctx, async (ctx) => {
    const [current] = await ctx.db
      .select()
      .from(credentials)
      .where(eq(credentials.id, input.id))
      .limit(1);
    if (!current) throw errors.notFound('No such credential.');
    if (!ifMatchHolds(input.ifMatch, etagOf(current))) {
      throw errors.versionConflict('The credential changed since you read it.');
    }
    // The version read above pins the source state the audit row and the event report.
    const updated = await updateVersioned(ctx.db, {
      table: credentials,
      id: input.id,
      versions: [current.version],
      set: { status: rule.to, statusChangedAt: now, statusReason: input.reason },
      where: inArray(credentials.status, [...rule.from]),
      notFound: () => errors.notFound('No such credential.'),
      conflict: () => errors.versionConflict('The credential changed meanwhile.'),
      refused: () =>
        problem(
          'invalid_transition',
          `A ${current.status} credential cannot be ${input.action === 'reinstate' ? 'reinstated' : `${input.action}d`}.`,
        ),
    });
    await ctx.db.insert(credentialEvents).values({
      credentialId: updated.id,
      action: input.action,
      fromStatus: current.status,
      toStatus: updated.status,
      reason: input.reason,
      actorId: actor.subject,
      actorDepartment: actor.department ?? 'unknown',
      at: now,
    });
    // No subject id or reason in the event: it may leave the service as a webhook.
    await recordChange(ctx, {
      aggregate: { type: 'credential', id: updated.id, version: updated.version },
      type: rule.event,
      data: {
        statusIndex: updated.statusIndex,
        fromStatus: current.status,
        toStatus: updated.status,
      },
    });
    return updated;
  });
  // This replica's cached status lists are stale now; others catch up within the cache age.
  ctx.statusLists.invalidate();
  return changed;
}
