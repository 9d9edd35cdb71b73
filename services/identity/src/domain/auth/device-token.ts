import { errors, type RequestContext } from '@tongban/service-kit';
import { and, eq, isNull } from 'drizzle-orm';
import { devices } from '../../db/schema.js';
import type { Actor, IdentityContext } from '../context.js';
import { type ProofRequest, verifyRequestProof } from './device-proof.js';
import { issueAccessToken } from './issue-access-token.js';

/**
 * A resident signs in by proving possession of an activated device key; the access token is
 * bound to that key (cnf.jkt), so a copied token is useless without the device.
 */
export async function deviceToken({
  ctx,
  input,
}: {
  ctx: RequestContext<Actor | undefined> & Pick<IdentityContext, 'keys' | 'config'>;
  input: ProofRequest;
}) {
  const now = ctx.clock();
  const proof = await verifyRequestProof(ctx, input, now);
  const [device] = await ctx.db
    .update(devices)
    .set({ lastUsedAt: now })
    .where(and(eq(devices.jkt, proof.jkt), isNull(devices.revokedAt)))
    .returning();
  if (!device) throw errors.unauthorized('This device is not activated, or it was revoked.');
  const token = await issueAccessToken(ctx, {
    kind: 'resident',
    sub: device.subjectId,
    client_id: 'tongban-resident-app',
    roles: ['resident'],
    scope: 'resident',
    cnf: { jkt: proof.jkt },
  });
  return { ...token, subjectId: device.subjectId, deviceId: device.id };
}
