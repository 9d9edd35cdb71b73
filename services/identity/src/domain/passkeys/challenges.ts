import type { Db } from '@tongban/db';
import { eq, lt } from 'drizzle-orm';
import { passkeyChallenges } from '../../db/schema.js';
import { problem } from '../../errors.js';

/** How long a ceremony may take, from options to response (also the authenticator's timeout). */
export const CHALLENGE_TTL_MS = 5 * 60_000;

export type CeremonyPurpose = 'registration' | 'authentication';

/** Keeps a fresh challenge until CHALLENGE_TTL_MS from now, and prunes the expired ones. */
export async function storeChallenge(
  db: Db,
  input: { challenge: string; purpose: CeremonyPurpose; staffId: string | null; now: Date },
): Promise<void> {
  await db.delete(passkeyChallenges).where(lt(passkeyChallenges.expiresAt, input.now));
  await db.insert(passkeyChallenges).values({
    challenge: input.challenge,
    purpose: input.purpose,
    staffId: input.staffId,
    expiresAt: new Date(input.now.getTime() + CHALLENGE_TTL_MS),
    createdAt: input.now,
  });
}

/**
 * Takes the challenge out of the store: whatever the outcome of the ceremony, it cannot be used
 * again. It must be unexpired, of this ceremony, and (for registration) of this staff member.
 */
export async function consumeChallenge(
  db: Db,
  input: { challenge: string; purpose: CeremonyPurpose; staffId: string | null; now: Date },
): Promise<string> {
  const [row] = await db
    .delete(passkeyChallenges)
    .where(eq(passkeyChallenges.challenge, input.challenge))
    .returning();
  if (!row) {
    throw problem('passkey_challenge_invalid', 'The challenge is unknown or already used.');
  }
  if (row.expiresAt.getTime() <= input.now.getTime()) {
    throw problem('passkey_challenge_invalid', 'The challenge has expired; ask for new options.');
  }
  if (row.purpose !== input.purpose || row.staffId !== input.staffId) {
    throw problem('passkey_challenge_invalid', 'The challenge belongs to another ceremony.');
  }
  return row.challenge;
}

/** The challenge the browser signed, read from clientDataJSON without trusting anything else. */
export function challengeOf(clientDataJSON: string): string | undefined {
  try {
    const data: unknown = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8'));
    if (typeof data !== 'object' || data === null) return undefined;
    const { challenge } = data as { challenge?: unknown };
    return typeof challenge === 'string' && challenge.length > 0 && challenge.length <= 512
      ? challenge
      : undefined;
  } catch {
    return undefined;
  }
}
