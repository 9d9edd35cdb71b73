import type { Actor } from '@tongban/auth';
import { errors, type RequestContext } from '@tongban/service-kit';
import { findServiceDefinition } from '../../db/queries/service-definitions.js';
import { toService } from './list-services.js';

/** A service's newest version, or the one asked for: a case reads the version it started on. */
export async function getService({
  ctx,
  input,
}: {
  ctx: RequestContext<Actor | undefined>;
  input: { code: string; version?: number | undefined };
}) {
  const row = await findServiceDefinition(ctx.db, input.code, input.version);
  if (!row) {
    throw errors.notFound(
      input.version === undefined
        ? `No service ${input.code}.`
        : `No version ${input.version} of service ${input.code}.`,
    );
  }
  return toService(row);
}
