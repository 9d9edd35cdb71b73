import {
  type AuthenticationResponseJSON,
  type AuthenticatorTransport,
  generateAuthenticationOptions,
  verifyAuthenticationResponse,
} from '@simplewebauthn/server';
import { withTransaction } from '@tongban/service-kit';
import { and, eq, lt, or, sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import { staff, staffPasskeys } from '../../db/schema.js';
import { problem } from '../../errors.js';
import { staffSession } from '../auth/staff-session.js';
import type { IdentityContext } from '../context.js';
import { recordChange } from '../events/record-change.js';
import { CHALLENGE_TTL_MS, challengeOf, consumeChallenge, storeChallenge } from './challenges.js';
import { userHandleOf } from './passkey-row.js';

type SignInContext = IdentityContext & {
  readonly requestId: string;
  readonly log: Pick<FastifyBaseLogger, 'warn'>;
};

/**
 * Options for navigator.credentials.get(). No username is asked: the passkey is discoverable and
 * names its staff member, so this answer says nothing about which accounts exist.
 */
export async function passkeyLoginOptions({ ctx }: { ctx: IdentityContext }) {
  const options = await generateAuthenticationOptions({
    rpID: ctx.config.webauthn.rpId,
    userVerification: 'required',
    timeout: CHALLENGE_TTL_MS,
  });
  await storeChallenge(ctx.db, {
    challenge: options.challenge,
    purpose: 'authentication',
    staffId: null,
    now: ctx.clock(),
  });
  return options;
}

const failed = (detail: string) => problem('passkey_authentication_failed', detail);

/**
 * Passkey sign-in: the library checks challenge, origin, RP id, user verification and signature;
 * this verb checks the sign counter (clone detection) and issues the same token as password
 * sign-in.
 */
export async function signInWithPasskey({
  ctx,
  input,
}: {
  ctx: SignInContext;
  input: { response: AuthenticationResponseJSON };
}) {
  const now = ctx.clock();
  const { response } = input;
  const signed = challengeOf(response.response.clientDataJSON);
  if (!signed) throw failed('clientDataJSON names no challenge.');
  const challenge = await consumeChallenge(ctx.db, {
    challenge: signed,
    purpose: 'authentication',
    staffId: null,
    now,
  });
  const [found] = await ctx.db
    .select({ passkey: staffPasskeys, account: staff })
    .from(staffPasskeys)
    .innerJoin(staff, eq(staff.id, staffPasskeys.staffId))
    .where(eq(staffPasskeys.credentialId, response.id))
    .limit(1);
  if (!found) throw failed('No staff member has this passkey.');
  const { passkey, account } = found;
  const handle = response.response.userHandle;
  if (handle !== undefined && handle !== userHandleOf(account.id).toString('base64url')) {
    throw failed('The passkey names another user.');
  }
  const { webauthn } = ctx.config;
  let newCounter: number;
  try {
    const verified = await verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: [...webauthn.origins],
      expectedRPID: webauthn.rpId,
      // The counter is compared below, after the signature holds, so that only a genuine
      // assertion can raise the clone alarm and it gets a code of its own.
      credential: {
        id: passkey.credentialId,
        publicKey: new Uint8Array(Buffer.from(passkey.publicKey, 'base64url')),
        counter: 0,
        transports: passkey.transports as AuthenticatorTransport[],
      },
      requireUserVerification: true,
    });
    if (!verified.verified) throw new Error('The assertion did not verify.');
    newCounter = verified.authenticationInfo.newCounter;
  } catch (err) {
    throw failed((err as Error).message);
  }
  if (account.disabledAt !== null) throw failed('This staff account is disabled.');

  const actor = { kind: 'staff', subject: account.id, department: account.departmentCode };
  const eventCtx = { db: ctx.db, actor, requestId: ctx.requestId, clock: ctx.clock };
  // WebAuthn §6.1.1: a counter that does not increase (unless the authenticator keeps none,
  // both zero) means two copies of the key exist. The conditional update settles two replicas
  // seeing the same counter at once: only one of them moves it.
  const used = await withTransaction(eventCtx, async (ctx) => {
    const [row] = await ctx.db
      .update(staffPasskeys)
      .set({ signCount: newCounter, lastUsedAt: now })
      .where(
        and(
          eq(staffPasskeys.id, passkey.id),
          or(
            lt(staffPasskeys.signCount, newCounter),
            sql`${staffPasskeys.signCount} = 0 and ${newCounter} = 0`,
          ),
        ),
      )
      .returning({ id: staffPasskeys.id });
    if (!row) return false;
    await recordChange(ctx, {
      aggregate: { type: 'passkey', id: passkey.id },
      type: 'passkey.used',
      data: { passkeyId: passkey.id },
      audience: account.departmentCode,
    });
    return true;
  });
  if (!used) {
    await withTransaction(eventCtx, (ctx) =>
      recordChange(ctx, {
        aggregate: { type: 'passkey', id: passkey.id },
        type: 'passkey.clone_detected',
        data: {
          passkeyId: passkey.id,
          storedCounter: passkey.signCount,
          presentedCounter: newCounter,
        },
        audience: account.departmentCode,
      }),
    );
    ctx.log.warn(
      {
        passkeyId: passkey.id,
        staffId: account.id,
        storedCounter: passkey.signCount,
        presentedCounter: newCounter,
      },
      'passkey sign counter did not increase: possible cloned authenticator',
    );
    throw problem(
      'passkey_clone_detected',
      "This passkey's signature counter went backwards; sign-in is refused. Remove the passkey and register a new one.",
    );
  }
  return staffSession(ctx, account);
}
