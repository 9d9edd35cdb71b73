import { withTransaction } from '@tongban/service-kit';
import { eq } from 'drizzle-orm';
import { sha256 } from '../../crypto/secrets.js';
import { clients, departments } from '../../db/schema.js';
import type { IdentityContext } from '../context.js';
import { recordChange } from '../events/record-change.js';

/** The one-stop counter that opens cases for every department: workflow's own department. */
export const SERVICE_CENTRE = {
  code: 'service_centre',
  nameZh: '政务服务中心',
  nameEn: 'Government Service Centre',
} as const;

/**
 * Workflow's client: it reads the records a case needs, as the service centre, with the case
 * grant it signs itself. Nothing more: it verifies no presentations and writes no records.
 */
export const WORKFLOW_CLIENT = {
  clientId: 'tb-workflow',
  name: 'Tongban workflow (one-stop service)',
  department: SERVICE_CENTRE.code,
  scopes: ['records:read'],
} as const;

export type WorkflowClientOutcome = 'created' | 'updated' | 'unchanged';

const sameScopes = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((s) => b.includes(s));

/**
 * At start, when WORKFLOW_CLIENT_SECRET is configured: the service-centre department and the
 * workflow client exist, with the configured secret (stored as createClient stores one: SHA-256
 * of a high-entropy secret) and the platform's department and scopes. The configuration is the
 * source of truth, so a changed secret replaces the stored one; a client an administrator
 * disabled stays disabled. Idempotent, and safe for replicas starting together: the inserts do
 * nothing on conflict and the row is locked before it is compared and brought up to date.
 */
export async function ensureWorkflowClient(
  deps: Pick<IdentityContext, 'db' | 'clock'>,
  secret: string,
): Promise<WorkflowClientOutcome> {
  const secretHash = sha256(secret);
  const ctx = { db: deps.db, clock: deps.clock, actor: undefined, requestId: 'start' };
  return withTransaction(ctx, async (ctx) => {
    const department = await ctx.db
      .insert(departments)
      .values({
        code: SERVICE_CENTRE.code,
        nameZh: SERVICE_CENTRE.nameZh,
        nameEn: SERVICE_CENTRE.nameEn,
        createdAt: ctx.clock(),
      })
      .onConflictDoNothing()
      .returning({ code: departments.code });
    if (department.length > 0) {
      await recordChange(ctx, {
        aggregate: { type: 'department', id: SERVICE_CENTRE.code },
        type: 'department.created',
        data: { code: SERVICE_CENTRE.code },
      });
    }

    const wanted = {
      name: WORKFLOW_CLIENT.name,
      departmentCode: WORKFLOW_CLIENT.department,
      scopes: [...WORKFLOW_CLIENT.scopes],
    };
    // Never the secret or its hash in an event.
    const data = {
      clientId: WORKFLOW_CLIENT.clientId,
      department: wanted.departmentCode,
      scopes: wanted.scopes,
    };
    const created = await ctx.db
      .insert(clients)
      .values({
        clientId: WORKFLOW_CLIENT.clientId,
        ...wanted,
        secretHash,
        createdAt: ctx.clock(),
      })
      .onConflictDoNothing()
      .returning({ clientId: clients.clientId });
    if (created.length > 0) {
      await recordChange(ctx, {
        aggregate: { type: 'client', id: WORKFLOW_CLIENT.clientId },
        type: 'client.created',
        data,
      });
      return 'created';
    }

    const [current] = await ctx.db
      .select()
      .from(clients)
      .where(eq(clients.clientId, WORKFLOW_CLIENT.clientId))
      .for('update');
    if (
      current !== undefined &&
      current.secretHash === secretHash &&
      current.name === wanted.name &&
      current.departmentCode === wanted.departmentCode &&
      sameScopes(current.scopes, wanted.scopes)
    ) {
      return 'unchanged';
    }
    await ctx.db
      .update(clients)
      .set({ ...wanted, secretHash })
      .where(eq(clients.clientId, WORKFLOW_CLIENT.clientId));
    await recordChange(ctx, {
      aggregate: { type: 'client', id: WORKFLOW_CLIENT.clientId },
      type: 'client.updated',
      data: { ...data, secretReplaced: current?.secretHash !== secretHash },
    });
    return 'updated';
  });
}
