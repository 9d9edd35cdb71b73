const AUTH_ERROR = Symbol.for('tongban.auth-error');

/**
 * Why verification failed. For logs only: telling a caller which check it tripped helps an
 * attacker more than it helps a client.
 */
export type AuthFailure =
  | 'malformed'
  | 'header_rejected'
  | 'unknown_key'
  | 'signature_invalid'
  | 'expired'
  | 'claims_invalid';

/**
 * Every verification failure is the same error to the caller: 401 `unauthorized`. `statusCode`
 * lets service-kit's problem handler map it correctly if a route lets it escape.
 */
export class AuthError extends Error {
  readonly [AUTH_ERROR] = true;
  readonly code = 'unauthorized';
  readonly status = 401;
  readonly reason: AuthFailure;

  constructor(reason: AuthFailure, options?: { cause?: unknown }) {
    super('The access token is missing, expired or invalid.', options);
    this.name = 'AuthError';
    this.reason = reason;
  }

  get statusCode(): number {
    return this.status;
  }
}

export function isAuthError(value: unknown): value is AuthError {
  return typeof value === 'object' && value !== null && AUTH_ERROR in value;
}
