import type { Actor } from '@tongban/auth';
import { errors, type RequestContext } from '@tongban/service-kit';
import type { DataValidators } from './validate-data.js';

/** What the write verbs receive: the request context and the app's data validators. */
export type RecordWriteContext = RequestContext<Actor> & { readonly validators: DataValidators };

/**
 * The department a write acts for. Routes already demand a staff or client token with
 * `records:write`; this is the department half: records are published, amended and revoked by
 * the department that issues their type, and by nobody else.
 */
export function writerDepartment(actor: Actor): string {
  if (actor.kind === 'resident' || !actor.scopes.has('records:write')) {
    throw errors.forbidden('Publishing records needs a department token with records:write.');
  }
  return actor.department;
}

/** `kind:subject` of who published a version, as record_versions.published_by keeps it. */
export const publisherOf = (actor: Actor): string => `${actor.kind}:${actor.subject}`;
