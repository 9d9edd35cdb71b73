import { errors } from '@tongban/service-kit';
import { and, asc, eq, isNull } from 'drizzle-orm';
import { devices } from '../../db/schema.js';
import type { Actor, IdentityContext } from '../context.js';

type DeviceRow = typeof devices.$inferSelect;

export function toDevice(row: DeviceRow) {
  return {
    id: row.id,
    label: row.label,
    keyId: row.keyId,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

export async function listMyDevices({ ctx, actor }: { ctx: IdentityContext; actor: Actor }) {
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
  actor,
  deviceId,
}: {
  ctx: IdentityContext;
  actor: Actor;
  deviceId: string;
}) {
  const [row] = await ctx.db
    .update(devices)
    .set({ revokedAt: ctx.clock() })
    .where(
      and(
        eq(devices.id, deviceId),
        eq(devices.subjectId, actor.subject),
        isNull(devices.revokedAt),
      ),
    )
    .returning();
  if (row) return toDevice(row);
  // Same answer for "not yours" and "does not exist": no probing of other residents' devices.
  const [mine] = await ctx.db
    .select()
    .from(devices)
    .where(and(eq(devices.id, deviceId), eq(devices.subjectId, actor.subject)))
    .limit(1);
  if (!mine) throw errors.notFound('No such device.');
  return toDevice(mine);
}
