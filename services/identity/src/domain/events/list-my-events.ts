import {
  decodeCursor,
  errors,
  type ListQuery,
  page,
  type RequestContext,
} from '@tongban/service-kit';
import { and, desc, eq, inArray, lt, or } from 'drizzle-orm';
import { departments, devices, events } from '../../db/schema.js';
import type { Actor } from '../context.js';

/** The events about a resident's account that the resident sees, and how each is told. */
const RESIDENT_EVENTS = ['resident.enrolled', 'activation_code.issued'] as const;
const DEVICE_EVENTS = ['device.activated', 'device.revoked'] as const;
type HistoryType = (typeof RESIDENT_EVENTS)[number] | (typeof DEVICE_EVENTS)[number];

function summary(
  type: HistoryType,
  by: 'counter' | 'resident',
  department: { zh: string; en: string } | null,
): { zh: string; en: string } {
  const where = department ?? { zh: '', en: 'a' };
  switch (type) {
    case 'resident.enrolled':
      return { zh: `在${where.zh}窗口登记`, en: `enrolled at ${where.en} counter` };
    case 'activation_code.issued':
      return {
        zh: `在${where.zh}窗口签发了新的激活码`,
        en: `a new activation code was issued at ${where.en} counter`,
      };
    case 'device.activated':
      return { zh: '激活了一台设备', en: 'a device was activated' };
    case 'device.revoked':
      return by === 'counter'
        ? { zh: `在${where.zh}窗口注销了设备`, en: `device revoked at ${where.en} counter` }
        : { zh: '您注销了一台设备', en: 'you revoked a device' };
  }
}

/**
 * What happened to the resident's account — enrolment, new activation codes, devices activated
 * and revoked, by whom — newest first. Verifications have their own list (/v1/me/verifications).
 */
export async function listMyEvents({
  ctx,
  input,
}: {
  ctx: RequestContext<Actor>;
  input: ListQuery;
}) {
  const { actor } = ctx;
  if (actor.kind !== 'resident') throw errors.forbidden();
  const cursor = decodeCursor(input.cursor, 2);
  const after =
    cursor && typeof cursor[0] === 'string' && typeof cursor[1] === 'string'
      ? { at: new Date(cursor[0]), id: cursor[1] }
      : undefined;
  if (after && Number.isNaN(after.at.getTime())) throw errors.validationFailed('Bad cursor.');
  const myDevices = ctx.db
    .select({ id: devices.id })
    .from(devices)
    .where(eq(devices.subjectId, actor.subject));
  const rows = await ctx.db
    .select({ e: events, nameZh: departments.nameZh, nameEn: departments.nameEn })
    .from(events)
    .leftJoin(departments, eq(departments.code, events.actorDepartment))
    .where(
      and(
        or(
          and(
            eq(events.aggregateType, 'resident'),
            eq(events.aggregateId, actor.subject),
            inArray(events.type, [...RESIDENT_EVENTS]),
          ),
          and(
            eq(events.aggregateType, 'device'),
            inArray(events.aggregateId, myDevices),
            inArray(events.type, [...DEVICE_EVENTS]),
          ),
        ),
        after
          ? or(
              lt(events.occurredAt, after.at),
              and(eq(events.occurredAt, after.at), lt(events.id, after.id)),
            )
          : undefined,
      ),
    )
    .orderBy(desc(events.occurredAt), desc(events.id))
    .limit(input.limit + 1);
  return page(
    rows,
    input.limit,
    (r) => {
      const by: 'counter' | 'resident' = r.e.actor.startsWith('staff:') ? 'counter' : 'resident';
      const department =
        by === 'counter' && r.e.actorDepartment !== null
          ? {
              code: r.e.actorDepartment,
              name: { zh: r.nameZh ?? r.e.actorDepartment, en: r.nameEn ?? r.e.actorDepartment },
            }
          : null;
      const type = r.e.type as HistoryType;
      return {
        id: r.e.id,
        type,
        occurredAt: r.e.occurredAt.toISOString(),
        by,
        department,
        summary: summary(type, by, department?.name ?? null),
      };
    },
    (r) => [r.e.occurredAt.toISOString(), r.e.id],
  );
}
