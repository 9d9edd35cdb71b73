import { errors, type RequestContext } from '@tongban/service-kit';
import {
  isTokenError,
  type PresentationClaims,
  type TokenErrorCode,
  verifyPresentationToken,
} from '@tongban/tokens';
import { type IdentityErrorCode, problem } from '../../errors.js';
import type { Actor, IdentityContext } from '../context.js';
import { credentialRefusal } from './refusals.js';

/**
 * Online verification shares one clock with issuance (identity signed the token), so only the
 * drift between replicas needs tolerating — half a second — not the 30 s allowed to offline counters.
 */
export const ONLINE_CLOCK_TOLERANCE_SECONDS = 0.5;

export const DEFAULT_VISIBLE_ATTRIBUTES = [
  'fullName',
  'birthDate',
  'idDocumentType',
  'idNumberMasked',
] as const;
export const ATTRIBUTES = [...DEFAULT_VISIBLE_ATTRIBUTES, 'phone'] as const;
export type Attribute = (typeof ATTRIBUTES)[number];

// Every code the token package can report has its place in identity's catalogue. The status-list
// and record-certificate codes cannot come from a presentation token; should one appear, it is a
// bad request.
const CODE: Readonly<Record<TokenErrorCode, IdentityErrorCode>> = {
  malformed_token: 'malformed_token',
  signature_invalid: 'signature_invalid',
  unknown_key: 'unknown_key',
  presentation_expired: 'presentation_expired',
  presentation_not_yet_valid: 'presentation_not_yet_valid',
  status_list_expired: 'validation_failed',
  status_list_not_yet_valid: 'validation_failed',
  certificate_expired: 'validation_failed',
  certificate_not_yet_valid: 'validation_failed',
  validation_failed: 'validation_failed',
};

const DETAIL: Partial<Record<TokenErrorCode, string>> = {
  malformed_token: 'This is not a Tongban presentation code.',
  signature_invalid: 'The code is not signed by this city’s identity service.',
  unknown_key: 'The code was signed with a key that is not (or no longer) trusted.',
  presentation_expired: 'The code has expired; ask the resident to refresh it.',
  presentation_not_yet_valid: 'The code is dated in the future.',
};

/**
 * Signature, type, issuer and time window of a presentation token by this service's keys and
 * clock, with the token package's refusals turned into identity's problems. No database.
 */
export async function checkPresentationToken(
  ctx: Pick<IdentityContext, 'keys' | 'config' | 'clock'>,
  token: string,
): Promise<PresentationClaims> {
  try {
    const { claims } = await verifyPresentationToken(token, {
      resolver: ctx.keys,
      issuer: ctx.config.issuer,
      now: ctx.clock(),
      clockToleranceSeconds: ONLINE_CLOCK_TOLERANCE_SECONDS,
    });
    return claims;
  } catch (err) {
    if (!isTokenError(err)) throw err;
    throw problem(CODE[err.code], DETAIL[err.code] ?? 'The code cannot be verified.');
  }
}

/**
 * Counter verification: signature, type, issuer, time window (in memory), then credential status,
 * device status and the single-use check in one database statement shared with concurrent
 * verifications (verification-batcher.ts). The verification row's unique jti is the lock: of
 * concurrent verifications of one code, exactly one insert succeeds and every other is a replay.
 */
export async function verifyPresentation({
  ctx,
  input,
}: {
  ctx: RequestContext<Actor> & Pick<IdentityContext, 'keys' | 'config' | 'verifications'>;
  input: { token: string; counter?: string | undefined };
}) {
  const { actor } = ctx;
  const allowed =
    (actor.kind === 'staff' && actor.roles.includes('counter_clerk')) ||
    (actor.kind === 'client' && actor.scopes.has('presentations:verify'));
  if (!allowed)
    throw errors.forbidden(
      'Verifying presentations needs the counter_clerk role or the presentations:verify scope.',
    );

  const claims = await checkPresentationToken(ctx, input.token);

  const department = actor.department ?? 'unknown';
  const row = await ctx.verifications.verify({
    jti: claims.jti,
    subjectId: claims.sub,
    statusIndex: claims.sl,
    deviceKeyId: claims.cnf.kid,
    verifierKind: actor.kind,
    verifierId: actor.subject,
    verifierDepartment: department,
    counter: input.counter ?? null,
  });
  if (row.credentialId === null || row.credentialStatus === null) {
    throw problem('signature_invalid', 'The code does not match any credential.');
  }
  const refusal = credentialRefusal(row.credentialStatus);
  if (refusal) throw refusal;
  if (row.deviceId === null || row.deviceRevoked) {
    throw problem('device_revoked', 'The device that showed this code has been revoked.');
  }
  if (!row.consumed) {
    throw problem(
      'presentation_replayed',
      'This code was already used; ask the resident for a fresh one.',
    );
  }

  const visible = new Set<string>(row.policy ?? DEFAULT_VISIBLE_ATTRIBUTES);
  const resident = row.resident;
  const all: Record<Attribute, string> = {
    fullName: resident?.fullName ?? '',
    birthDate: resident?.birthDate ?? '',
    idDocumentType: resident?.idDocumentType ?? '',
    idNumberMasked: resident?.idNumberMasked ?? '',
    phone: resident?.phone ?? '',
  };
  const attributes = Object.fromEntries(Object.entries(all).filter(([name]) => visible.has(name)));
  const verificationId = row.verificationId;
  return {
    verificationId,
    verifiedAt: row.verifiedAt.toISOString(),
    subjectId: claims.sub,
    credentialId: row.credentialId,
    expiresAt: new Date(claims.exp * 1000).toISOString(),
    attributes,
  };
}
