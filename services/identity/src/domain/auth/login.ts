import { errors, type RequestContext } from '@tongban/service-kit';
import { eq } from 'drizzle-orm';
import {
  chargeAccount,
  clearFailures,
  failureRows,
  insertThrottleEvent,
  isKnownAddress,
  type LoginFailureRow,
  recordFailure,
  recordPairFailure,
  rememberAddress,
} from '../../db/queries/login-failures.js';
import { staff } from '../../db/schema.js';
import { problem } from '../../errors.js';
import { isBootstrapAdmin } from '../admin/manage.js';
import type { Actor, IdentityContext } from '../context.js';
import { passkeyRequired } from '../departments/department-security.js';
import { verifyPassword } from './passwords.js';
import { staffSession } from './staff-session.js';

/**
 * NIST SP 800-63B-4 §3.2.2: at most 100 consecutive failed attempts on one account. It is the
 * only account-wide block, and only an administrator lifts it (ADR 0012).
 */
export const ACCOUNT_FAILURE_CAP = 100;
/** One address guessing at one account: two free tries, then 1 s, 2 s, 4 s … at most 5 min. */
const PAIR_FREE_FAILURES = 2;
const PAIR_DELAY_CAP_SECONDS = 300;
/** One address across accounts (a counter office shares one): 50 failures in 15 min. */
const ADDRESS_WINDOW_MS = 15 * 60_000;
const ADDRESS_THRESHOLD = 50;
const ADDRESS_LOCK_MS = 15 * 60_000;
/** An address a member signed in from stays known this long after the last success. */
const KNOWN_ADDRESS_MS = 90 * 24 * 3600_000;

/** What the throttle decided, as administrators read it (GET /v1/departments/{code}/login-throttling). */
export const THROTTLE_DECISIONS = [
  'pair_delayed',
  'address_limited',
  'known_address_spared',
  'account_locked',
  'account_refused',
  'account_unlocked',
] as const;
export type ThrottleDecision = (typeof THROTTLE_DECISIONS)[number];

export interface LoginInput {
  readonly username: string;
  readonly password: string;
  readonly address: string;
}

type LoginContext = RequestContext<Actor | undefined> & Pick<IdentityContext, 'keys' | 'config'>;

/**
 * Staff login. Every failure looks the same from outside (same message, same work: an unknown
 * account is checked against a dummy hash). Throttling follows ADR 0012: guesses are slowed per
 * (account, address) and per address, an address the member signed in from before is spared
 * both, and only 100 consecutive failures block the account itself.
 */
export async function login({ ctx, input }: { ctx: LoginContext; input: LoginInput }) {
  const now = ctx.clock();
  const username = input.username.trim().toLowerCase();
  const keys = {
    account: `account:${username}`,
    pair: `pair:${username} ${input.address}`,
    address: `address:${input.address}`,
  };
  const [account] = await ctx.db.select().from(staff).where(eq(staff.username, username)).limit(1);
  const log = (decision: ThrottleDecision, retryAfterSeconds?: number) =>
    account
      ? insertThrottleEvent(ctx.db, {
          staffId: account.id,
          departmentCode: account.departmentCode,
          address: input.address,
          decision,
          retryAfterSeconds: retryAfterSeconds ?? null,
          at: now,
        })
      : Promise.resolve();
  const rows = await failureRows(ctx.db, Object.values(keys));
  if ((rows.get(keys.account)?.failures ?? 0) >= ACCOUNT_FAILURE_CAP) {
    await log('account_refused');
    throw accountLocked();
  }

  const known = account
    ? await isKnownAddress(ctx.db, {
        staffId: account.id,
        address: input.address,
        since: new Date(now.getTime() - KNOWN_ADDRESS_MS),
      })
    : false;
  const waitPair = secondsLeft(rows.get(keys.pair), now);
  const waitAddress = secondsLeft(rows.get(keys.address), now);
  if (known && (waitPair > 0 || waitAddress > 0)) {
    await log('known_address_spared');
  } else if (waitPair > 0 || waitAddress > 0) {
    const wait = Math.max(waitPair, waitAddress);
    await log(waitAddress >= waitPair ? 'address_limited' : 'pair_delayed', wait);
    throw problem(
      'rate_limited',
      `Too many failed sign-ins from this address; retry in ${wait} s.`,
      {
        headers: { 'retry-after': String(wait) },
      },
    );
  }

  // Charged before the slow hash, so a burst of concurrent guesses cannot pass the cap together.
  const charged = await chargeAccount(ctx.db, keys.account, { now, cap: ACCOUNT_FAILURE_CAP });
  if (charged === undefined) {
    await log('account_refused');
    throw accountLocked();
  }
  const ok = await verifyPassword(input.password, account?.passwordHash);
  if (!ok || !account || account.disabledAt !== null) {
    if (charged >= ACCOUNT_FAILURE_CAP) await log('account_locked');
    await recordPairFailure(ctx.db, keys.pair, {
      now,
      free: PAIR_FREE_FAILURES,
      capSeconds: PAIR_DELAY_CAP_SECONDS,
    });
    if (!known) {
      await recordFailure(ctx.db, keys.address, {
        now,
        windowMs: ADDRESS_WINDOW_MS,
        threshold: ADDRESS_THRESHOLD,
        lockMs: ADDRESS_LOCK_MS,
      });
    }
    throw errors.unauthorized('The username or password is incorrect.');
  }
  await clearFailures(ctx.db, [keys.account, keys.pair]);
  await rememberAddress(ctx.db, { staffId: account.id, address: input.address, now });
  // Checked only after the password is right, so the refusal tells nothing to a guesser.
  if (!isBootstrapAdmin(account) && (await passkeyRequired(ctx.db, account.departmentCode))) {
    throw problem(
      'passkey_required',
      'Your department requires signing in with a passkey (POST /v1/auth/passkeys/login).',
    );
  }
  return staffSession(ctx, account);
}

function secondsLeft(row: LoginFailureRow | undefined, now: Date): number {
  const until = row?.lockedUntil?.getTime() ?? 0;
  return until > now.getTime() ? Math.ceil((until - now.getTime()) / 1000) : 0;
}

function accountLocked() {
  return problem(
    'account_locked',
    'This account is blocked after 100 consecutive failed sign-ins; an administrator unlocks it.',
  );
}
