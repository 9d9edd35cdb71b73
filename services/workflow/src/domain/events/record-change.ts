import { changeRecorder } from '@tongban/service-kit';
import { events, outbox } from '../../db/schema.js';

/** Writes workflow's event and outbox row in the caller's transaction. */
export const recordChange = changeRecorder({ events, outbox });
