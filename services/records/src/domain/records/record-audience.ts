import type { MayReceive } from '@tongban/webhooks';
import { recordTypeReaders } from '../../db/queries/records.js';

const RECORD_EVENT = /^record\./;

/**
 * Who may hear of a record event (`record.published`, `record.superseded`, `record.revoked`):
 * subscriptions of the type's issuing department, and of departments holding an access policy
 * for the type that is not withdrawn. Decided when the event is dispatched, in the dispatch
 * transaction, so a policy withdrawn before then stops the delivery; deliveries already fanned
 * out stay. Every other event (record types, subscriptions) goes to every subscriber of its type.
 */
export const recordEventAudience: MayReceive = async ({ db, events }) => {
  const typeOf = (payload: unknown): string | undefined => {
    const type = (payload as { type?: unknown } | null)?.type;
    return typeof type === 'string' ? type : undefined;
  };
  const codes = new Set<string>();
  for (const event of events) {
    const code = RECORD_EVENT.test(event.type) ? typeOf(event.payload) : undefined;
    if (code !== undefined) codes.add(code);
  }
  const readers = await recordTypeReaders(db, [...codes]);
  return (event, subscription) => {
    if (!RECORD_EVENT.test(event.type)) return true;
    const code = typeOf(event.payload);
    return code !== undefined && (readers.get(code)?.has(subscription.ownerDepartment) ?? false);
  };
};
