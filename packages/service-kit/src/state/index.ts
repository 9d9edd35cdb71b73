export type { ActorRef, RequestContext } from './context.js';
export {
  etagOf,
  type IfMatch,
  ifMatchHolds,
  parseIfMatch,
  requireIfMatch,
  versionsFromIfMatch,
} from './etag.js';
export {
  type ChangeRecord,
  changeRecorder,
  type EventsTable,
  eventsTable,
  type OutboxTable,
  outboxBacklog,
  outboxTable,
  type RecordChange,
  type RecordedEvent,
  uuidV7,
} from './events.js';
export { inTransaction, isOpenTransaction, withTransaction } from './transaction.js';
export { updateVersioned, type VersionedUpdate } from './versioned-update.js';
