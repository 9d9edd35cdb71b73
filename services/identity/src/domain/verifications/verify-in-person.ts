import { randomUUID } from 'node:crypto';
import { errors, type RequestContext, withTransaction } from '@tongban/service-kit';
import { eq } from 'drizzle-orm';
import type { Secrets } from '../../crypto/secrets.js';
import { credentials, verifications } from '../../db/schema.js';
import type { Actor } from '../context.js';
import { recordChange } from '../events/record-change.js';
import { credentialRefusal } from '../presentations/refusals.js';
import { type DocumentInput, residentByDocument } from '../residents/find-resident.js';

/**
 * For residents without a smartphone: a counter clerk has checked the physical ID card and
 * records that. The result is a verification like a scanned QR gives (same table, method
 * `in_person`, no token and no device), so workflow can gate case access on either, and the
 * resident sees it in their history. The ID number is looked up by its keyed hash and stays out
 * of the event.
 */
export async function verifyInPerson({
  ctx,
  input,
}: {
  ctx: RequestContext<Actor> & { readonly secrets: Pick<Secrets, 'idLookupKey'> };
  input: DocumentInput & { counter: string };
}) {
  const { actor } = ctx;
  if (actor.kind !== 'staff') throw errors.forbidden();
  const resident = await residentByDocument(ctx.db, ctx.secrets, input);
  const now = ctx.clock();
  const id = randomUUID();
  return withTransaction(ctx, async (ctx) => {
    const [credential] = await ctx.db
      .select()
      .from(credentials)
      .where(eq(credentials.subjectId, resident.subjectId))
      .limit(1);
    if (!credential) throw errors.notFound('No resident is enrolled with this document.');
    const refusal = credentialRefusal(credential.status);
    if (refusal) throw refusal;
    await ctx.db.insert(verifications).values({
      id,
      method: 'in_person',
      subjectId: resident.subjectId,
      credentialId: credential.id,
      verifierKind: actor.kind,
      verifierId: actor.subject,
      verifierDepartment: actor.department,
      counter: input.counter,
      verifiedAt: now,
    });
    await recordChange(ctx, {
      aggregate: { type: 'verification', id },
      type: 'verification.in_person',
      data: { credentialId: credential.id, counter: input.counter },
    });
    return {
      verificationId: id,
      method: 'in_person' as const,
      verifiedAt: now.toISOString(),
      subjectId: resident.subjectId,
      credentialId: credential.id,
    };
  });
}
