import type { Db } from '@tongban/db';
import type { JobDefinition } from '@tongban/service-kit';
import type { WorkingDayCalendar } from '@tongban/working-days';
import type { FastifyBaseLogger } from 'fastify';
import { casesAwaitingRecords } from '../../db/queries/cases.js';
import { attachRecords } from './attach-records.js';
import type { CaseSettings, PullRecords } from './context.js';
import type { DefinitionLookup } from './definitions.js';

export const CASE_RECORDS_JOB = 'case-records';

/**
 * Retries the records pull of cases whose pull failed at submission (the record API was down).
 * Safe in every replica at once: attaching is conditional on the pull not having been stored, so
 * two replicas pulling the same case store it once (both reads are logged at records, as they
 * happened).
 */
export function caseRecordsJob(
  deps: {
    db: Db;
    clock: () => Date;
    calendar: WorkingDayCalendar;
    settings: CaseSettings;
    definitions: DefinitionLookup;
    pull: PullRecords;
    log: FastifyBaseLogger;
  },
  intervalMs: number,
): JobDefinition {
  return {
    name: CASE_RECORDS_JOB,
    intervalMs,
    jitter: 0.2,
    run: async () => {
      let attached = 0;
      for (const row of await casesAwaitingRecords(deps.db, 20)) {
        const definition = await deps.definitions(deps.db, row.serviceCode, row.serviceVersion);
        if (definition === undefined) continue;
        const ctx = {
          db: deps.db,
          actor: undefined,
          requestId: CASE_RECORDS_JOB,
          clock: deps.clock,
          calendar: deps.calendar,
          settings: deps.settings,
        };
        try {
          if (await attachRecords({ ctx, pull: deps.pull, input: { row, definition } })) attached++;
        } catch (err) {
          deps.log.warn({ err, caseId: row.id }, 'records pull failed again; retrying later');
          break;
        }
      }
      return attached;
    },
  };
}
