import type { RequestContext } from '@tongban/service-kit';
import { withTransaction } from '@tongban/service-kit';
import { and, eq, gt, isNull } from 'drizzle-orm';
import { sha256 } from '../../crypto/secrets.js';
import { activationCodes } from '../../db/schema.js';
import type { Actor } from '../context.js';
import { recordChange } from '../events/record-change.js';
import {
  ACTIVATION_TTL_MS,
  activationCode,
  normaliseActivationCode,
  printableActivation,
} from './enrol-resident.js';
import { residentBySubject } from './find-resident.js';

/**
 * The way back after a lost or revoked phone: a counter clerk who has checked the resident in
 * person prints a new one-time activation code for the existing subject. Every earlier unused
 * code of that subject stops working in the same transaction (they are expired now, not
 * deleted), so at most one printed code is live per resident.
 */
export async function issueActivationCode({
  ctx,
  input,
}: {
  ctx: RequestContext<Actor>;
  input: { subjectId: string };
}) {
  const { actor } = ctx;
  const now = ctx.clock();
  const code = activationCode();
  const expiresAt = new Date(now.getTime() + ACTIVATION_TTL_MS);
  await withTransaction(ctx, async (ctx) => {
    const resident = await residentBySubject(ctx.db, input.subjectId);
    const invalidated = await ctx.db
      .update(activationCodes)
      .set({ expiresAt: now })
      .where(
        and(
          eq(activationCodes.subjectId, resident.subjectId),
          isNull(activationCodes.usedAt),
          gt(activationCodes.expiresAt, now),
        ),
      )
      .returning({ subjectId: activationCodes.subjectId });
    await ctx.db.insert(activationCodes).values({
      codeHash: sha256(normaliseActivationCode(code)),
      subjectId: resident.subjectId,
      expiresAt,
      createdBy: actor.subject,
      createdAt: now,
    });
    // Never the code: the event may leave the service as a webhook.
    await recordChange(ctx, {
      aggregate: { type: 'resident', id: resident.subjectId },
      type: 'activation_code.issued',
      data: { expiresAt: expiresAt.toISOString(), invalidatedCodes: invalidated.length },
    });
  });
  return { subjectId: input.subjectId, activation: await printableActivation(code, expiresAt) };
}
