import { errors, type RequestContext } from '@tongban/service-kit';
import { issuePresentationToken } from '@tongban/tokens';
import { and, eq, isNull } from 'drizzle-orm';
import { credentials, devices } from '../../db/schema.js';
import { problem } from '../../errors.js';
import { type ProofRequest, verifyRequestProof } from '../auth/device-proof.js';
import type { Actor, IdentityContext } from '../context.js';
import { credentialRefusal } from './refusals.js';

/**
 * The resident's phone asks for a fresh presentation token every minute. The request carries the
 * resident's access token and a new device proof bound to it, so neither a stolen access token nor
 * a replayed request can mint a QR code: only the device holding the key can.
 */
export async function issuePresentation({
  ctx,
  input,
}: {
  ctx: RequestContext<Actor> & Pick<IdentityContext, 'keys' | 'config'>;
  input: { request: ProofRequest; accessToken: string; subjectId?: string };
}) {
  const { actor } = ctx;
  if (actor.kind !== 'resident') throw errors.forbidden('Only residents obtain presentations.');
  if (input.subjectId !== undefined && input.subjectId !== actor.subject) {
    throw errors.forbidden('A presentation can only be issued for yourself.');
  }
  const now = ctx.clock();
  const proof = await verifyRequestProof(ctx, input.request, now, input.accessToken);
  if (actor.dpopKeyThumbprint !== undefined && actor.dpopKeyThumbprint !== proof.jkt) {
    throw problem(
      'invalid_dpop_proof',
      'The proof was signed by another key than the token is bound to.',
    );
  }
  // The device and the credential in one round trip: issuance is the phone's hot path.
  const [row] = await ctx.db
    .select({ keyId: devices.keyId, credential: credentials })
    .from(devices)
    .leftJoin(credentials, eq(credentials.subjectId, devices.subjectId))
    .where(
      and(
        eq(devices.jkt, proof.jkt),
        eq(devices.subjectId, actor.subject),
        isNull(devices.revokedAt),
      ),
    )
    .limit(1);
  if (!row) {
    throw problem('device_revoked', 'This device is not active for this resident.');
  }
  const { credential } = row;
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
    deviceKeyId: row.keyId,
    now,
  });
  return { token: issued.token, expiresAt: issued.expiresAt.toISOString() };
}
