import type { Actor } from '@tongban/auth';
import { errors, type RequestContext } from '@tongban/service-kit';
import type { WorkingDayCalendar } from '@tongban/working-days';
import { departmentSlaFigures } from '../../db/queries/sla.js';

/** What the figures need beyond the request: the city's calendar, for the dates of the range. */
export interface StatsContext extends RequestContext<Actor> {
  readonly calendar: WorkingDayCalendar;
}

export interface SlaStatsInput {
  /** The caller's own department when absent. */
  readonly department?: string | undefined;
  /** First and last day (city time, inclusive) of the decisions counted; open work is as of now. */
  readonly from?: string | undefined;
  readonly to?: string | undefined;
}

const round = (value: number, places: number) => {
  const factor = 10 ** places;
  return Math.round(value * factor) / factor;
};

/**
 * How a department keeps its time limits: the tasks it decided in the range (how many, the share
 * decided before the deadline, the median handling time) and the work in its hands now (open,
 * open past the deadline, waiting on a resident). Its own staff and systems with `cases:read` or
 * `cases:decide`, and its administrator; another department's figures are 403.
 */
export async function slaStats({ ctx, input }: { ctx: StatsContext; input: SlaStatsInput }) {
  const actor = ctx.actor;
  if (actor.kind === 'resident') throw errors.forbidden('SLA figures are for departments.');
  const department = input.department ?? actor.department;
  const allowed =
    actor.scopes.has('cases:read') ||
    actor.scopes.has('cases:decide') ||
    (actor.kind === 'staff' && actor.roles.includes('department_admin'));
  if (!allowed) {
    throw errors.forbidden('SLA figures need cases:read or cases:decide.');
  }
  if (department !== actor.department) {
    throw errors.forbidden('A department’s SLA figures are for its own staff and systems.');
  }
  if (input.from !== undefined && input.to !== undefined && input.from > input.to) {
    throw errors.validationFailed('The range ends before it begins.', {
      errors: [{ field: 'querystring.to', message: 'is before from' }],
    });
  }
  const now = ctx.clock();
  const figures = await departmentSlaFigures(ctx.db, {
    department,
    now,
    decidedFrom: input.from === undefined ? undefined : ctx.calendar.startOfDay(input.from),
    decidedBefore: input.to === undefined ? undefined : ctx.calendar.endOfDay(input.to),
  });
  return {
    department,
    from: input.from ?? null,
    to: input.to ?? null,
    asOf: now.toISOString(),
    decided: {
      count: figures.decided,
      onTime: figures.onTime,
      onTimeRate: figures.decided === 0 ? null : round(figures.onTime / figures.decided, 4),
      medianHandlingHours:
        figures.medianHandlingHours === null ? null : round(figures.medianHandlingHours, 2),
    },
    open: {
      count: figures.open,
      overdue: figures.overdue,
      awaitingInformation: figures.awaitingInformation,
    },
  };
}
