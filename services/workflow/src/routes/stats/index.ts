import { requireActor } from '@tongban/auth';
import type { Db } from '@tongban/db';
import type { ServiceInstance } from '@tongban/service-kit';
import type { WorkingDayCalendar } from '@tongban/working-days';
import { slaStats } from '../../domain/sla/sla-stats.js';
import { SlaStats, SlaStatsQuery } from './schemas.js';

export interface StatsDeps {
  readonly db: Db;
  readonly clock: () => Date;
  readonly calendar: WorkingDayCalendar;
}

/** How departments keep their time limits. */
export function statsRoutes(app: ServiceInstance, deps: StatsDeps) {
  app.get(
    '/v1/stats/sla',
    {
      config: { auth: { kinds: ['staff', 'client'] } },
      schema: {
        tags: ['stats'],
        summary: 'How a department keeps its time limits',
        description:
          'For the department’s own staff and systems (`cases:read` or `cases:decide`) and its administrator; another department is 403. `from` and `to` (city days, inclusive, optional) bound the decisions counted: how many tasks were approved or rejected, how many before their deadline (24:00 city time of the last working day is already late), and the median handling time in hours (opening to decision, less the time the clock was stopped waiting on the resident; wall-clock hours, nights and weekends included). The open work is as of now: open tasks, those whose clock ran out, and those waiting on a resident.',
        security: [{ bearerAuth: [] }],
        querystring: SlaStatsQuery,
        response: { 200: SlaStats },
      },
    },
    (request) =>
      slaStats({
        ctx: {
          db: deps.db,
          actor: requireActor(request),
          requestId: request.id,
          clock: deps.clock,
          calendar: deps.calendar,
        },
        input: request.query,
      }),
  );
}
