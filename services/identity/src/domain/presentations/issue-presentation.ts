import { errors, type RequestContext } from '@tongban/service-kit';
import { issuePresentationToken } from '@tongban/tokens';
import { eq } from 'drizzle-orm';
import { credentials } from '../../db/schema.js';
import type { ResidentDevice } from '../auth/resident-request.js';
import type { Actor, IdentityContext } from '../context.js';
import { credentialRefusal } from './refusals.js';

/**
 * The resident's phone asks for a fresh presentation token every minute. The request carries the
 * resident's access token and a new device proof bound to it, checked for every resident request
 * (routes/resident-proof.ts) before this runs, so neither a stolen access token nor a replayed
 * request can mint a QR code: only the active device holding the key can.
 */
export async function issuePresentation({
  ctx,
  input,
}: {
  ctx: RequestContext<Actor> & Pick<IdentityContext, 'keys' | 'config'>;
  input: { device: ResidentDevice; subjectId?: string };
}) {
  const { actor } = ctx;
  if (actor.kind !== 'resident') throw errors.forbidden('Only residents obtain presentations.');
  if (input.subjectId !== undefined && input.subjectId !== actor.subject) {
    throw errors.forbidden('A presentation can only be issued for yourself.');
  }
  const now = ctx.clock();
  const { device } = input;
  const [credential] = await ctx.db
    .select()
    .from(credentials)
    .where(eq(credentials.subjectId, actor.subject))
    .limit(1);
  if (!credential) throw errors.notFound('No credential for this resident.');
  const refusal = credentialRefusal(credential.status);
  if (refusal) throw refusal;

  const { kid, privateKey } = await ctx.keys.signingKey();
  const issued = await issuePresentationToken({
    key: privateKey,
    kid,
    issuer: ctx.config.issuer,
    subject: actor.subject,
    statusIndex: credential.statusIndex,
    // Stored at activation (deviceKeyId of the key); no need to hash the key again per QR.
    deviceKeyId: device.keyId,
    now,
  });
  return { token: issued.token, expiresAt: issued.expiresAt.toISOString() };
}
