import { errors, type RequestContext } from '@tongban/service-kit';
import { eq } from 'drizzle-orm';
import { clearFailures, lockedUntil, recordFailure } from '../../db/queries/login-failures.js';
import { staff } from '../../db/schema.js';
import { problem } from '../../errors.js';
import { isBootstrapAdmin } from '../admin/manage.js';
import type { Actor, IdentityContext } from '../context.js';
import { passkeyRequired } from '../departments/department-security.js';
import { verifyPassword } from './passwords.js';
import { staffSession } from './staff-session.js';

const WINDOW_MS = 15 * 60_000;
const LOCK_MS = 15 * 60_000;
// An account locks after a handful of guesses; an address after many (a counter office shares one).
const ACCOUNT_THRESHOLD = 5;
const ADDRESS_THRESHOLD = 50;

export interface LoginInput {
  readonly username: string;
  readonly password: string;
  readonly address: string;
}

/**
 * Staff login. Every failure looks the same from outside (same message, same work: an unknown
 * account is checked against a dummy hash), and failures are throttled per account and per
 * address across all replicas.
 */
export async function login({
  ctx,
  input,
}: {
  ctx: RequestContext<Actor | undefined> & Pick<IdentityContext, 'keys' | 'config'>;
  input: LoginInput;
}) {
  const now = ctx.clock();
  const username = input.username.trim().toLowerCase();
  const accountKey = `account:${username}`;
  const addressKey = `address:${input.address}`;
  const locked = await lockedUntil(ctx.db, [accountKey, addressKey], now);
  if (locked) {
    const seconds = Math.ceil((locked.getTime() - now.getTime()) / 1000);
    throw problem(
      'rate_limited',
      `Too many failed sign-ins; try again in ${Math.ceil(seconds / 60)} min.`,
      { headers: { 'retry-after': String(seconds) } },
    );
  }
  const [account] = await ctx.db.select().from(staff).where(eq(staff.username, username)).limit(1);
  const ok = await verifyPassword(input.password, account?.passwordHash);
  if (!ok || !account || account.disabledAt !== null) {
    await recordFailure(ctx.db, accountKey, {
      now,
      windowMs: WINDOW_MS,
      threshold: ACCOUNT_THRESHOLD,
      lockMs: LOCK_MS,
    });
    await recordFailure(ctx.db, addressKey, {
      now,
      windowMs: WINDOW_MS,
      threshold: ADDRESS_THRESHOLD,
      lockMs: LOCK_MS,
    });
    throw errors.unauthorized('The username or password is incorrect.');
  }
  await clearFailures(ctx.db, accountKey);
  // Checked only after the password is right, so the refusal tells nothing to a guesser.
  if (!isBootstrapAdmin(account) && (await passkeyRequired(ctx.db, account.departmentCode))) {
    throw problem(
      'passkey_required',
      'Your department requires signing in with a passkey (POST /v1/auth/passkeys/login).',
    );
  }
  return staffSession(ctx, account);
}
