import {
  decodeCursor,
  errors,
  type ListQuery,
  page,
  type RequestContext,
  withTransaction,
} from '@tongban/service-kit';
import { eq } from 'drizzle-orm';
import {
  clearFailures,
  insertThrottleEvent,
  listThrottleEvents,
  type ThrottleEventRow,
} from '../../db/queries/login-failures.js';
import { staff } from '../../db/schema.js';
import type { Actor } from '../context.js';
import { recordChange } from '../events/record-change.js';
import type { ThrottleDecision } from './login.js';

const isSystemAdmin = (actor: Actor) =>
  actor.kind === 'staff' && actor.roles.includes('system_admin');
const isAdminOf = (actor: Actor, department: string) =>
  isSystemAdmin(actor) ||
  (actor.kind === 'staff' &&
    actor.roles.includes('department_admin') &&
    actor.department === department);

/** The sign-in throttling decisions about a department's staff, newest first. */
export async function listLoginThrottling({
  ctx,
  input,
}: {
  ctx: RequestContext<Actor>;
  input: ListQuery & { department: string };
}) {
  if (!isAdminOf(ctx.actor, input.department))
    throw errors.forbidden("Only this department's administrators see its sign-in throttling.");
  const before = decodeCursor(input.cursor, 1)?.[0];
  const rows = await listThrottleEvents(ctx.db, {
    department: input.department,
    before: typeof before === 'number' ? before : undefined,
    limit: input.limit + 1,
  });
  return page(rows, input.limit, toThrottleEvent, (row) => [row.id]);
}

export function toThrottleEvent(row: ThrottleEventRow) {
  return {
    id: String(row.id),
    staffId: row.staffId,
    department: row.departmentCode,
    address: row.address,
    decision: row.decision as ThrottleDecision,
    retryAfterSeconds: row.retryAfterSeconds,
    actorId: row.actorId,
    at: row.at.toISOString(),
  };
}

/**
 * Lifts the 100-failure block of a staff account. An administrator of the member's department
 * may, except for administrators, whom only a system administrator unlocks (as with granting).
 */
export async function unlockStaffSignIn({
  ctx,
  input,
}: {
  ctx: RequestContext<Actor>;
  input: { staffId: string };
}) {
  const { actor } = ctx;
  const [member] = await ctx.db.select().from(staff).where(eq(staff.id, input.staffId)).limit(1);
  // A member of another department is reported like a missing one: ids do not leak across.
  if (!member || !isAdminOf(actor, member.departmentCode))
    throw errors.notFound('No such staff member in your department.');
  if (
    !isSystemAdmin(actor) &&
    member.roles.some((r) => r === 'system_admin' || r === 'department_admin')
  ) {
    throw errors.forbidden('Only a system administrator unlocks an administrator.');
  }
  await withTransaction(ctx, async (ctx) => {
    await clearFailures(ctx.db, [`account:${member.username}`]);
    await insertThrottleEvent(ctx.db, {
      staffId: member.id,
      departmentCode: member.departmentCode,
      address: null,
      decision: 'account_unlocked',
      retryAfterSeconds: null,
      actorId: actor.subject,
      at: ctx.clock(),
    });
    await recordChange(ctx, {
      aggregate: { type: 'staff', id: member.id },
      type: 'staff.sign_in_unlocked',
      data: { department: member.departmentCode },
    });
  });
  return { staffId: member.id, unlocked: true };
}
