import type { MayReceive } from '@tongban/webhooks';
import { and, inArray, isNotNull } from 'drizzle-orm';
import { tasks } from '../../db/schema.js';

const CASE_EVENT = /^(case|task)\./;

/**
 * Who may hear of a case's events: subscriptions of departments whose task on the case has been
 * reached (a department learns of a case when its turn comes, as it sees it over HTTP). Task
 * events are further addressed to the task's department by the outbox `audience`. Decided at
 * dispatch, in the dispatch transaction. Other events (the catalogue, subscriptions) go to every
 * subscriber of their type.
 */
export const caseEventAudience: MayReceive = async ({ db, events }) => {
  const caseIdOf = (payload: unknown): string | undefined => {
    const id = (payload as { aggregate?: { type?: unknown; id?: unknown } } | null)?.aggregate;
    return id?.type === 'case' && typeof id.id === 'string' ? id.id : undefined;
  };
  const ids = new Set<string>();
  for (const event of events) {
    const id = CASE_EVENT.test(event.type) ? caseIdOf(event.payload) : undefined;
    if (id !== undefined) ids.add(id);
  }
  const involved = new Map<string, Set<string>>();
  if (ids.size > 0) {
    const rows = await db
      .select({ caseId: tasks.caseId, department: tasks.department })
      .from(tasks)
      // Reached: opened at some point (a task cancelled before its turn never was).
      .where(and(inArray(tasks.caseId, [...ids]), isNotNull(tasks.openedAt)));
    for (const row of rows) {
      const set = involved.get(row.caseId) ?? new Set<string>();
      set.add(row.department);
      involved.set(row.caseId, set);
    }
  }
  return (event, subscription) => {
    if (!CASE_EVENT.test(event.type)) return true;
    const id = caseIdOf(event.payload);
    return id !== undefined && (involved.get(id)?.has(subscription.ownerDepartment) ?? false);
  };
};
