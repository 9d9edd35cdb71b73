import type { Db } from '@tongban/db';
import { errors, type RequestContext, withTransaction } from '@tongban/service-kit';
import { eq, sql } from 'drizzle-orm';
import { departmentSecurity, departments } from '../../db/schema.js';
import type { Actor } from '../context.js';
import { recordChange } from '../events/record-change.js';

export interface DepartmentSecurity {
  readonly department: string;
  readonly requirePasskey: boolean;
  readonly version: number;
  readonly updatedAt: string | null;
}

/** Whether the department's staff must sign in with a passkey. */
export async function passkeyRequired(db: Db, department: string): Promise<boolean> {
  const [row] = await db
    .select({ requirePasskey: departmentSecurity.requirePasskey })
    .from(departmentSecurity)
    .where(eq(departmentSecurity.departmentCode, department))
    .limit(1);
  return row?.requirePasskey ?? false;
}

// The department's own administrators decide its policy; a system administrator any department's.
function requireAdminOf(actor: Actor, department: string): void {
  const allowed =
    actor.kind === 'staff' &&
    (actor.roles.includes('system_admin') ||
      (actor.roles.includes('department_admin') && actor.department === department));
  if (!allowed) {
    throw errors.forbidden(
      `Only an administrator of ${department} or a system administrator manages its sign-in policy.`,
    );
  }
}

async function readPolicy(db: Db, department: string): Promise<DepartmentSecurity> {
  const [dept] = await db
    .select({ code: departments.code })
    .from(departments)
    .where(eq(departments.code, department))
    .limit(1);
  if (!dept) throw errors.notFound(`No department ${department}.`);
  const [row] = await db
    .select()
    .from(departmentSecurity)
    .where(eq(departmentSecurity.departmentCode, department))
    .limit(1);
  return {
    department,
    requirePasskey: row?.requirePasskey ?? false,
    version: row?.version ?? 0,
    updatedAt: row?.updatedAt.toISOString() ?? null,
  };
}

export async function getDepartmentSecurity({
  ctx,
  input,
}: {
  ctx: RequestContext<Actor>;
  input: { department: string };
}): Promise<DepartmentSecurity> {
  requireAdminOf(ctx.actor, input.department);
  return readPolicy(ctx.db, input.department);
}

/** Sets the policy; the change and its event commit together. */
export async function setDepartmentSecurity({
  ctx,
  input,
}: {
  ctx: RequestContext<Actor>;
  input: { department: string; requirePasskey: boolean };
}): Promise<DepartmentSecurity> {
  const { actor } = ctx;
  requireAdminOf(actor, input.department);
  return withTransaction(ctx, async (ctx) => {
    const before = await readPolicy(ctx.db, input.department);
    const now = ctx.clock();
    // The upsert bumps the version in the database, so two concurrent changes both count.
    const [row] = await ctx.db
      .insert(departmentSecurity)
      .values({
        departmentCode: input.department,
        requirePasskey: input.requirePasskey,
        updatedAt: now,
        updatedBy: actor.subject,
      })
      .onConflictDoUpdate({
        target: departmentSecurity.departmentCode,
        set: {
          requirePasskey: input.requirePasskey,
          version: sql`${departmentSecurity.version} + 1`,
          updatedAt: now,
          updatedBy: actor.subject,
        },
      })
      .returning();
    if (!row) throw new Error('department security upsert returned nothing');
    await recordChange(ctx, {
      aggregate: { type: 'department', id: input.department, version: row.version },
      type: 'department.security_changed',
      data: { requirePasskey: row.requirePasskey, previousRequirePasskey: before.requirePasskey },
      audience: input.department,
    });
    return {
      department: input.department,
      requirePasskey: row.requirePasskey,
      version: row.version,
      updatedAt: row.updatedAt.toISOString(),
    };
  });
}
