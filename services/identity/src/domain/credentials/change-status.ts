import type { Db } from '@tongban/db';
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
import { credentialEvents, credentials, residents } from '../../db/schema.js';
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

function isSystemAdmin(actor: Actor): boolean {
  return actor.kind === 'staff' && actor.roles.includes('system_admin');
}

/**
 * A credential belongs to the department that enrolled its resident (residents.enrolled_department,
 * written in the enrolment transaction): only that department's staff, or a system administrator,
 * act on it. Roles are checked per route; this is the department half.
 */
function assertSameDepartment(actor: Actor, enrolledDepartment: string, what: string): void {
  if (isSystemAdmin(actor)) return;
  if (actor.kind !== 'staff' || actor.department !== enrolledDepartment) {
    throw errors.forbidden(`Only the enrolling department's staff may ${what} this credential.`);
  }
}

async function credentialWithDepartment(db: Db, id: string) {
  const [row] = await db
    .select({ credential: credentials, enrolledDepartment: residents.enrolledDepartment })
    .from(credentials)
    .innerJoin(residents, eq(residents.subjectId, credentials.subjectId))
    .where(eq(credentials.id, id))
    .limit(1);
  return row;
}

export async function getCredential({
  ctx,
  input,
}: {
  ctx: RequestContext<Actor>;
  input: { id: string };
}) {
  const { actor } = ctx;
  const allowed =
    actor.kind === 'staff' &&
    (isSystemAdmin(actor) ||
      actor.roles.includes('department_admin') ||
      actor.roles.includes('counter_clerk'));
  if (!allowed) throw errors.forbidden('Reading a credential needs a counter or admin role.');
  const row = await credentialWithDepartment(ctx.db, input.id);
  if (!row) throw errors.notFound('No such credential.');
  assertSameDepartment(actor, row.enrolledDepartment, 'read');
  return row.credential;
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
  const manager =
    actor.kind === 'staff' &&
    (actor.roles.includes('department_admin') || actor.roles.includes('system_admin'));
  if (!manager) throw errors.forbidden('Changing a credential needs the department_admin role.');
  const rule = TRANSITIONS[input.action];
  const now = ctx.clock();
  const changed = await withTransaction(ctx, async (ctx) => {
    const found = await credentialWithDepartment(ctx.db, input.id);
    if (!found) throw errors.notFound('No such credential.');
    assertSameDepartment(actor, found.enrolledDepartment, 'change');
    const current = found.credential;
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
