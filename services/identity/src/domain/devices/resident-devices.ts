import { errors, type RequestContext, withTransaction } from '@tongban/service-kit';
import { and, asc, eq, isNull } from 'drizzle-orm';
import { devices } from '../../db/schema.js';
import type { Actor } from '../context.js';
import { recordChange } from '../events/record-change.js';
import { residentBySubject } from '../residents/find-resident.js';

type DeviceRow = typeof devices.$inferSelect;

export function toDevice(row: DeviceRow) {
  return {
    id: row.id,
    label: row.label,
    keyId: row.keyId,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
    revokedBy: (row.revokedBy ?? (row.revokedAt ? 'resident' : null)) as
      | 'resident'
      | 'counter'
      | null,
  };
}

export async function listMyDevices({ ctx }: { ctx: RequestContext<Actor>; input?: undefined }) {
  const { actor } = ctx;
  const rows = await ctx.db
    .select()
    .from(devices)
    .where(eq(devices.subjectId, actor.subject))
    .orderBy(asc(devices.createdAt));
  return { items: rows.map(toDevice), nextCursor: null };
}

/** A resident revokes one of their own devices (lost phone); its tokens and QR stop working. */
export async function revokeMyDevice({
  ctx,
  input,
}: {
  ctx: RequestContext<Actor>;
  input: { deviceId: string };
}) {
  const { actor } = ctx;
  const { deviceId } = input;
  // The conditional update decides: only the call that revokes writes the event.
  const revoked = await withTransaction(ctx, async (ctx) => {
    const [row] = await ctx.db
      .update(devices)
      .set({ revokedAt: ctx.clock(), revokedBy: 'resident' })
      .where(
        and(
          eq(devices.id, deviceId),
          eq(devices.subjectId, actor.subject),
          isNull(devices.revokedAt),
        ),
      )
      .returning();
    if (!row) return undefined;
    await recordChange(ctx, {
      aggregate: { type: 'device', id: row.id },
      type: 'device.revoked',
      data: { keyId: row.keyId, by: 'resident' },
    });
    return row;
  });
  if (revoked) return toDevice(revoked);
  // Same answer for "not yours" and "does not exist": no probing of other residents' devices.
  const [mine] = await ctx.db
    .select()
    .from(devices)
    .where(and(eq(devices.id, deviceId), eq(devices.subjectId, actor.subject)))
    .limit(1);
  if (!mine) throw errors.notFound('No such device.');
  return toDevice(mine);
}

/** A counter clerk, the resident in front of them, lists the resident's devices. */
export async function listResidentDevices({
  ctx,
  input,
}: {
  ctx: RequestContext<Actor>;
  input: { subjectId: string };
}) {
  const resident = await residentBySubject(ctx.db, input.subjectId);
  const rows = await ctx.db
    .select()
    .from(devices)
    .where(eq(devices.subjectId, resident.subjectId))
    .orderBy(asc(devices.createdAt));
  return { items: rows.map(toDevice), nextCursor: null };
}

/**
 * A counter clerk revokes a resident's device (a stolen phone, for a resident who cannot sign in
 * any more), with a reason kept on the device; the reason stays out of the event, which may leave
 * the service. Revoking a revoked device answers it as it is and records nothing.
 */
export async function revokeResidentDevice({
  ctx,
  input,
}: {
  ctx: RequestContext<Actor>;
  input: { subjectId: string; deviceId: string; reason: string };
}) {
  const resident = await residentBySubject(ctx.db, input.subjectId);
  const revoked = await withTransaction(ctx, async (ctx) => {
    const [row] = await ctx.db
      .update(devices)
      .set({ revokedAt: ctx.clock(), revokedBy: 'counter', revokedReason: input.reason })
      .where(
        and(
          eq(devices.id, input.deviceId),
          eq(devices.subjectId, resident.subjectId),
          isNull(devices.revokedAt),
        ),
      )
      .returning();
    if (!row) return undefined;
    await recordChange(ctx, {
      aggregate: { type: 'device', id: row.id },
      type: 'device.revoked',
      data: { keyId: row.keyId, by: 'counter' },
    });
    return row;
  });
  if (revoked) return toDevice(revoked);
  const [existing] = await ctx.db
    .select()
    .from(devices)
    .where(and(eq(devices.id, input.deviceId), eq(devices.subjectId, resident.subjectId)))
    .limit(1);
  if (!existing) throw errors.notFound('No such device.');
  return toDevice(existing);
}
