import { randomUUID } from 'node:crypto';
import {
  type AuthenticatorTransport,
  generateRegistrationOptions,
  type RegistrationResponseJSON,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { errors, type RequestContext, withTransaction } from '@tongban/service-kit';
import { and, eq, isNull } from 'drizzle-orm';
import { staff, staffPasskeys } from '../../db/schema.js';
import { problem } from '../../errors.js';
import type { Actor, IdentityContext } from '../context.js';
import { recordChange } from '../events/record-change.js';
import { CHALLENGE_TTL_MS, challengeOf, consumeChallenge, storeChallenge } from './challenges.js';
import { userHandleOf } from './passkey-row.js';

type PasskeyContext = RequestContext<Actor> & Pick<IdentityContext, 'config'>;

async function requireStaff(ctx: PasskeyContext) {
  const { actor } = ctx;
  if (actor.kind !== 'staff') throw errors.forbidden('Passkeys are for staff.');
  const [account] = await ctx.db
    .select()
    .from(staff)
    .where(and(eq(staff.id, actor.subject), isNull(staff.disabledAt)))
    .limit(1);
  if (!account) throw errors.forbidden('This staff account is disabled.');
  return account;
}

/**
 * Options for navigator.credentials.create(): a discoverable credential with user verification,
 * so the passkey alone (no username, no password) is a multi-factor sign-in.
 */
export async function passkeyRegistrationOptions({ ctx }: { ctx: PasskeyContext }) {
  const account = await requireStaff(ctx);
  const existing = await ctx.db
    .select({ credentialId: staffPasskeys.credentialId, transports: staffPasskeys.transports })
    .from(staffPasskeys)
    .where(eq(staffPasskeys.staffId, account.id));
  const { webauthn } = ctx.config;
  const options = await generateRegistrationOptions({
    rpName: webauthn.rpName,
    rpID: webauthn.rpId,
    userName: account.username,
    userDisplayName: account.displayName,
    userID: userHandleOf(account.id),
    timeout: CHALLENGE_TTL_MS,
    attestationType: 'none',
    excludeCredentials: existing.map((c) => ({
      id: c.credentialId,
      transports: c.transports as AuthenticatorTransport[],
    })),
    authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
  });
  await storeChallenge(ctx.db, {
    challenge: options.challenge,
    purpose: 'registration',
    staffId: account.id,
    now: ctx.clock(),
  });
  return options;
}

/** Verifies the authenticator's answer with the library and keeps the new passkey. */
export async function registerPasskey({
  ctx,
  input,
}: {
  ctx: PasskeyContext;
  input: { response: RegistrationResponseJSON; label?: string | undefined };
}) {
  const account = await requireStaff(ctx);
  const now = ctx.clock();
  const signed = challengeOf(input.response.response.clientDataJSON);
  if (!signed) throw problem('passkey_registration_failed', 'clientDataJSON names no challenge.');
  const challenge = await consumeChallenge(ctx.db, {
    challenge: signed,
    purpose: 'registration',
    staffId: account.id,
    now,
  });
  const { webauthn } = ctx.config;
  let verified: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
  try {
    verified = await verifyRegistrationResponse({
      response: input.response,
      expectedChallenge: challenge,
      expectedOrigin: [...webauthn.origins],
      expectedRPID: webauthn.rpId,
      requireUserVerification: true,
    });
  } catch (err) {
    throw problem('passkey_registration_failed', (err as Error).message);
  }
  if (!verified.verified) {
    throw problem('passkey_registration_failed', 'The registration response did not verify.');
  }
  const info = verified.registrationInfo;
  return withTransaction(ctx, async (ctx) => {
    const [row] = await ctx.db
      .insert(staffPasskeys)
      .values({
        id: randomUUID(),
        staffId: account.id,
        credentialId: info.credential.id,
        publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
        signCount: info.credential.counter,
        transports: info.credential.transports ?? input.response.response.transports ?? [],
        deviceType: info.credentialDeviceType,
        backedUp: info.credentialBackedUp,
        label: input.label ?? 'Passkey',
        createdAt: now,
      })
      .onConflictDoNothing({ target: staffPasskeys.credentialId })
      .returning();
    if (!row) {
      throw problem('passkey_already_registered', 'This authenticator is already registered.');
    }
    // No names or keys in the event: it may leave the service as a webhook.
    await recordChange(ctx, {
      aggregate: { type: 'passkey', id: row.id, version: 1 },
      type: 'passkey.registered',
      data: { passkeyId: row.id, deviceType: row.deviceType, backedUp: row.backedUp },
      audience: account.departmentCode,
    });
    return row;
  });
}
