import { randomUUID } from 'node:crypto';
import type { StaffRole } from '@tongban/auth';
import { errors, type RequestContext, withTransaction } from '@tongban/service-kit';
import { count, eq } from 'drizzle-orm';
import { randomToken, sha256 } from '../../crypto/secrets.js';
import { attributePolicies, clients, departments, staff } from '../../db/schema.js';
import { problem } from '../../errors.js';
import { hashPassword } from '../auth/passwords.js';
import type { Actor, IdentityContext } from '../context.js';
import { recordChange } from '../events/record-change.js';
import { CLIENT_SCOPES } from '../scopes.js';

const isSystemAdmin = (actor: Actor) =>
  actor.kind === 'staff' && actor.roles.includes('system_admin');
const isAdminOf = (actor: Actor, department: string) =>
  isSystemAdmin(actor) ||
  (actor.kind === 'staff' &&
    actor.roles.includes('department_admin') &&
    actor.department === department);

async function requireDepartment(ctx: Pick<IdentityContext, 'db'>, code: string): Promise<void> {
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
  input,
}: {
  ctx: RequestContext<Actor>;
  input: { code: string; name: { zh: string; en: string } };
}) {
  const { actor } = ctx;
  if (!isSystemAdmin(actor))
    throw errors.forbidden('Creating departments needs the system_admin role.');
  return withTransaction(ctx, async (ctx) => {
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
    await recordChange(ctx, {
      aggregate: { type: 'department', id: row.code },
      type: 'department.created',
      data: { code: row.code },
    });
    return row;
  });
}

/** System admins manage every department; a department admin manages their own staff only, never admins. */
export async function createStaff({
  ctx,
  input,
}: {
  ctx: RequestContext<Actor>;
  input: {
    username: string;
    displayName: string;
    department: string;
    roles: StaffRole[];
    password: string;
  };
}) {
  const { actor } = ctx;
  if (!isAdminOf(actor, input.department))
    throw errors.forbidden('You cannot create staff in this department.');
  if (
    !isSystemAdmin(actor) &&
    input.roles.some((r) => r === 'system_admin' || r === 'department_admin')
  ) {
    throw errors.forbidden('Only a system administrator grants administrator roles.');
  }
  await requireDepartment(ctx, input.department);
  // Hashed before the transaction opens: the slow hash should not hold a connection.
  const passwordHash = await hashPassword(input.password);
  const row = await withTransaction(ctx, async (ctx) => {
    const [row] = await ctx.db
      .insert(staff)
      .values({
        id: randomUUID(),
        username: input.username.toLowerCase(),
        displayName: input.displayName,
        departmentCode: input.department,
        roles: [...new Set(input.roles)],
        passwordHash,
        createdAt: ctx.clock(),
      })
      .onConflictDoNothing()
      .returning();
    if (!row) throw problem('already_exists', 'That username is taken.');
    // No username, name or password hash: only the id, the department and the roles granted.
    await recordChange(ctx, {
      aggregate: { type: 'staff', id: row.id },
      type: 'staff.created',
      data: { department: row.departmentCode, roles: row.roles },
    });
    return row;
  });
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
  input,
}: {
  ctx: RequestContext<Actor>;
  input: { clientId: string; name: string; department: string; scopes: string[] };
}) {
  const { actor } = ctx;
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
  const row = await withTransaction(ctx, async (ctx) => {
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
    // Never the secret or its hash.
    await recordChange(ctx, {
      aggregate: { type: 'client', id: row.clientId },
      type: 'client.created',
      data: { clientId: row.clientId, department: row.departmentCode, scopes: row.scopes },
    });
    return row;
  });
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
  input,
}: {
  ctx: RequestContext<Actor>;
  input: { department: string; attributes: string[] };
}) {
  if (!isSystemAdmin(ctx.actor))
    throw errors.forbidden('Attribute policies are set by a system administrator.');
  await requireDepartment(ctx, input.department);
  const attributes = [...new Set(input.attributes)];
  await withTransaction(ctx, async (ctx) => {
    await ctx.db
      .insert(attributePolicies)
      .values({ departmentCode: input.department, attributes })
      .onConflictDoUpdate({ target: attributePolicies.departmentCode, set: { attributes } });
    await recordChange(ctx, {
      aggregate: { type: 'attribute_policy', id: input.department },
      type: 'attribute_policy.changed',
      data: { department: input.department, attributes },
    });
  });
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
