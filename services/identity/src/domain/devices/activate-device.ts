import { randomUUID } from 'node:crypto';
import { type RequestContext, withTransaction } from '@tongban/service-kit';
import { deviceKeyId } from '@tongban/tokens';
import { and, eq, gt, isNull } from 'drizzle-orm';
import { sha256 } from '../../crypto/secrets.js';
import { activationCodes, credentials, devices } from '../../db/schema.js';
import { problem } from '../../errors.js';
import { type ProofRequest, verifyRequestProof } from '../auth/device-proof.js';
import type { Actor, IdentityContext } from '../context.js';
import { recordChange } from '../events/record-change.js';
import { normaliseActivationCode } from '../residents/enrol-resident.js';

/**
 * Binds a device key to a resident with the printed activation code. The device proves it holds
 * the private key by signing a DPoP proof whose header carries the public key: a key that nobody
 * holds cannot be registered. The code is consumed by a conditional update, so it works once.
 */
export async function activateDevice({
  ctx,
  input,
}: {
  ctx: RequestContext<Actor | undefined> & Pick<IdentityContext, 'config'>;
  input: { activationCode: string; label: string | undefined; request: ProofRequest };
}) {
  const now = ctx.clock();
  const proof = await verifyRequestProof(ctx, input.request, now);
  const keyId = await deviceKeyId(proof.jwk);
  const codeHash = sha256(normaliseActivationCode(input.activationCode));
  return withTransaction(ctx, async (ctx) => {
    const tx = ctx.db;
    const [code] = await tx
      .update(activationCodes)
      .set({ usedAt: now })
      .where(
        and(
          eq(activationCodes.codeHash, codeHash),
          isNull(activationCodes.usedAt),
          gt(activationCodes.expiresAt, now),
        ),
      )
      .returning();
    if (!code) {
      throw problem(
        'activation_code_invalid',
        'The activation code is wrong, used or expired. Ask a counter for a new one.',
      );
    }
    const id = randomUUID();
    const inserted = await tx
      .insert(devices)
      .values({
        id,
        subjectId: code.subjectId,
        keyId,
        jkt: proof.jkt,
        publicJwk: {
          kty: proof.jwk.kty,
          crv: proof.jwk.crv,
          x: proof.jwk.x,
          ...(proof.jwk.y ? { y: proof.jwk.y } : {}),
        },
        label: input.label?.trim() || 'device',
        createdAt: now,
      })
      .onConflictDoNothing()
      .returning({ id: devices.id });
    if (inserted.length === 0) {
      throw problem('device_already_registered', 'This device key is already registered.');
    }
    const [credential] = await tx
      .select({
        id: credentials.id,
        statusIndex: credentials.statusIndex,
        status: credentials.status,
      })
      .from(credentials)
      .where(eq(credentials.subjectId, code.subjectId))
      .limit(1);
    // The code proved who is activating: the resident, by their pseudonymous subject id.
    await recordChange(
      { ...ctx, actor: { kind: 'resident', subject: code.subjectId } },
      {
        aggregate: { type: 'device', id },
        type: 'device.activated',
        data: { keyId },
      },
    );
    return {
      deviceId: id,
      subjectId: code.subjectId,
      keyId,
      credential: credential ?? null,
    };
  });
}
