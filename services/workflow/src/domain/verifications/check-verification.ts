import { createIdentityClient } from '@tongban/clients';
import { errors } from '@tongban/service-kit';
import { problem } from '../../errors.js';

/**
 * What a case may make of a verification the clerk names: `fresh` (made by the clerk's
 * department, of this subject, within the window), or why not.
 */
export type VerificationCheck = 'fresh' | 'not_found' | 'other_subject' | 'stale';

/** A verification is fresh for ten minutes: long enough to fill in an application at the counter. */
export const DEFAULT_VERIFICATION_MAX_AGE_MS = 600_000;
/** The clock skew every Tongban verifier allows (ARCHITECTURE.md, tokens and keys). */
export const CLOCK_SKEW_MS = 30_000;
export const IDENTITY_CALL_TIMEOUT_MS = 5_000;

const unavailable = () =>
  problem('identity_unavailable', 'The verification cannot be checked just now.');

/**
 * Checks a verification at identity (GET /v1/verifications/{id}) with the clerk's own bearer
 * token, so identity's rule applies unchanged: a department sees only the verifications it made,
 * and anything else is the same 404 as an unknown id. Workflow keeps no copy of verifications.
 * Identity unreachable, slow or answering anything unexpected is `identity_unavailable`; a token
 * identity refuses to let check verifications (no presentations:verify) is `forbidden`.
 */
export function verificationChecker(options: {
  identityUrl: string;
  fetch?: typeof fetch;
}): (input: {
  verificationId: string;
  subjectId: string;
  bearerToken: string;
  now: Date;
  maxAgeMs?: number;
}) => Promise<VerificationCheck> {
  const send = options.fetch ?? fetch;
  const identity = createIdentityClient({
    baseUrl: options.identityUrl,
    fetch: (request) =>
      send(new Request(request, { signal: AbortSignal.timeout(IDENTITY_CALL_TIMEOUT_MS) })),
  });
  return async ({ verificationId, subjectId, bearerToken, now, maxAgeMs }) => {
    const res = await identity
      .GET('/v1/verifications/{id}', {
        params: { path: { id: verificationId } },
        headers: { authorization: `Bearer ${bearerToken}` },
      })
      .catch(() => {
        throw unavailable();
      });
    const status = res.response.status;
    // 400: not the form of a verification id, so no verification of this department has it.
    if (status === 404 || status === 400) return 'not_found';
    if (status === 403) {
      throw errors.forbidden('Your account may not check verifications at identity.');
    }
    const data = status === 200 ? res.data : undefined;
    const verifiedAt = data === undefined ? Number.NaN : Date.parse(data.verifiedAt);
    if (data === undefined || data.id !== verificationId || Number.isNaN(verifiedAt)) {
      throw unavailable();
    }
    if (data.subjectId !== subjectId) return 'other_subject';
    const age = now.getTime() - verifiedAt;
    if (age > (maxAgeMs ?? DEFAULT_VERIFICATION_MAX_AGE_MS) || age < -CLOCK_SKEW_MS) {
      return 'stale';
    }
    return 'fresh';
  };
}
