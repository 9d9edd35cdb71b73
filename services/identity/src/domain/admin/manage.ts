import { randomUUID } from 'node:crypto';
import type { StaffRole } from '@tongban/auth';
import { errors } from '@tongban/service-kit';
import { count, eq } from 'drizzle-orm';
import { randomToken, sha256 } from '../../crypto/secrets.js';
import { attributePolicies, clients, departments, staff } from '../../db/schema.js';
import { problem } from '../../errors.js';
import { hashPassword } from '../auth/passwords.js';
import type { Actor, IdentityContext } from '../context.js';
import { CLIENT_SCOPES } from '../scopes.js';

const isSystemAdmin = (actor: Actor) =>
  actor.kind === 'staff' && actor.roles.includes('system_admin');
const isAdminOf = (actor: Actor, department: string) =>
  isSystemAdmin(actor) ||
  (actor.kind === 'staff' &&
    actor.roles.includes('department_admin') &&
    actor.department === department);

async function requireDepartment(ctx: IdentityContext, code: string): Promise<void> {
  const [row] = await ctx.db
    .select({ code: departments.code })
    .from(departments)
    .where(eq(departments.code, code))
    .limit(1);
  if (!row)
    throw errors.validationFailed(`No department ${code}.`, {
      errors: [{ field: 'body.department', message: 'does not exist' }],
    });
}

export async function createDepartment({
  ctx,
  actor,
  input,
}: {
  ctx: IdentityContext;
  actor: Actor;
  input: { code: string; name: { zh: string; en: string } };
}) {
  if (!isSystemAdmin(actor))
    throw errors.forbidden('Creating departments needs the system_admin role.');
  const [row] = await ctx.db
    .insert(departments)
    .values({
      code: input.code,
      nameZh: input.name.zh,
      nameEn: input.name.en,
      createdAt: ctx.clock(),
    })
    .onConflictDoNothing()
    .returning();
  if (!row) throw problem('already_exists', `Department ${input.code} exists.`);
  return row;
}

/** System admins manage every department; a department admin manages their own staff only, never admins. */
export async function createStaff({
  ctx,
  actor,
  input,
}: {
  ctx: IdentityContext;
  actor: Actor;
  input: {
    username: string;
    displayName: string;
    department: string;
    roles: StaffRole[];
    password: string;
  };
}) {
  if (!isAdminOf(actor, input.department))
    throw errors.forbidden('You cannot create staff in this department.');
  if (
    !isSystemAdmin(actor) &&
    input.roles.some((r) => r === 'system_admin' || r === 'department_admin')
  ) {
    throw errors.forbidden('Only a system administrator grants administrator roles.');
  }
  await requireDepartment(ctx, input.department);
  const [row] = await ctx.db
    .insert(staff)
    .values({
      id: randomUUID(),
      username: input.username.toLowerCase(),
      displayName: input.displayName,
      departmentCode: input.department,
      roles: [...new Set(input.roles)],
      passwordHash: await hashPassword(input.password),
      createdAt: ctx.clock(),
    })
    .onConflictDoNothing()
    .returning();
  if (!row) throw problem('already_exists', 'That username is taken.');
  return {
    id: row.id,
    username: row.username,
    displayName: row.displayName,
    department: row.departmentCode,
    roles: row.roles,
  };
}

/** Registers a department system; its secret is shown once and only its hash is stored. */
export async function createClient({
  ctx,
  actor,
  input,
}: {
  ctx: IdentityContext;
  actor: Actor;
  input: { clientId: string; name: string; department: string; scopes: string[] };
}) {
  if (!isAdminOf(actor, input.department))
    throw errors.forbidden('You cannot register clients for this department.');
  const unknown = input.scopes.filter((s) => !(CLIENT_SCOPES as readonly string[]).includes(s));
  if (unknown.length > 0) {
    throw errors.validationFailed(`Unknown scope: ${unknown.join(' ')}`, {
      errors: [{ field: 'body.scopes', message: 'contains unknown scopes' }],
    });
  }
  await requireDepartment(ctx, input.department);
  const secret = randomToken(32);
  const [row] = await ctx.db
    .insert(clients)
    .values({
      clientId: input.clientId,
      name: input.name,
      departmentCode: input.department,
      secretHash: sha256(secret),
      scopes: [...new Set(input.scopes)],
      createdAt: ctx.clock(),
    })
    .onConflictDoNothing()
    .returning();
  if (!row) throw problem('already_exists', 'That client id is taken.');
  return {
    clientId: row.clientId,
    name: row.name,
    department: row.departmentCode,
    scopes: row.scopes,
    clientSecret: secret,
  };
}

export async function setAttributePolicy({
  ctx,
  actor,
  input,
}: {
  ctx: IdentityContext;
  actor: Actor;
  input: { department: string; attributes: string[] };
}) {
  if (!isSystemAdmin(actor))
    throw errors.forbidden('Attribute policies are set by a system administrator.');
  await requireDepartment(ctx, input.department);
  const attributes = [...new Set(input.attributes)];
  await ctx.db
    .insert(attributePolicies)
    .values({ departmentCode: input.department, attributes })
    .onConflictDoUpdate({ target: attributePolicies.departmentCode, set: { attributes } });
  return { department: input.department, attributes };
}

export const ADMIN_DEPARTMENT = {
  code: 'administration',
  nameZh: '政务服务管理局',
  nameEn: 'Government Services Administration',
};

/**
 * First start: with no staff at all, creates the administration department and a system
 * administrator `admin` with the configured password. Runs under the same unique constraints as
 * every insert, so replicas starting together create it once.
 */
const BOOTSTRAP_USERNAME = 'admin';

/** The first system administrator, whose password always works: it is how an install starts. */
export const isBootstrapAdmin = (account: { username: string; roles: readonly string[] }) =>
  account.username === BOOTSTRAP_USERNAME && account.roles.includes('system_admin');

export async function bootstrapAdmin(ctx: IdentityContext, password: string): Promise<boolean> {
  const [existing] = await ctx.db.select({ n: count() }).from(staff);
  if ((existing?.n ?? 0) > 0) return false;
  await ctx.db
    .insert(departments)
    .values({
      code: ADMIN_DEPARTMENT.code,
      nameZh: ADMIN_DEPARTMENT.nameZh,
      nameEn: ADMIN_DEPARTMENT.nameEn,
    })
    .onConflictDoNothing();
  const inserted = await ctx.db
    .insert(staff)
    .values({
      id: randomUUID(),
      username: BOOTSTRAP_USERNAME,
      displayName: 'System administrator',
      departmentCode: ADMIN_DEPARTMENT.code,
      roles: ['system_admin'],
      passwordHash: await hashPassword(password),
    })
    .onConflictDoNothing()
    .returning({ id: staff.id });
  return inserted.length > 0;
}
