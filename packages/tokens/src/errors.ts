/**
 * Every failure this package reports is a `TokenError` whose `code` is part of the public contract
 * (the same snake_case codes the services put in problem+json). Callers branch on `code`, never on
 * the message, which is for people.
 */
const TOKEN_ERROR = Symbol.for('tongban.token-error');

export type TokenErrorCode =
  | 'malformed_token'
  | 'signature_invalid'
  | 'unknown_key'
  | 'presentation_expired'
  | 'presentation_not_yet_valid'
  | 'status_list_expired'
  | 'status_list_not_yet_valid'
  | 'certificate_expired'
  | 'certificate_not_yet_valid'
  | 'validation_failed';

export class TokenError extends Error {
  readonly [TOKEN_ERROR] = true;
  readonly code: TokenErrorCode;

  constructor(code: TokenErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TokenError';
    this.code = code;
  }
}

/** A brand check rather than `instanceof`, so two copies of this package still agree. */
export function isTokenError(value: unknown): value is TokenError {
  return typeof value === 'object' && value !== null && TOKEN_ERROR in value;
}
