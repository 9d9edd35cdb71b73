export {
  ACCESS_TOKEN_ALG,
  ACCESS_TOKEN_TYP,
  AccessTokenClaims,
  AccessTokenHeader,
  type AccessTokenSubjectClaims,
  type Actor,
  actorFromClaims,
  type ClientActor,
  DepartmentCode,
  KINDS,
  Kind,
  MAX_KID_LENGTH,
  type ResidentActor,
  STAFF_ROLES,
  type StaffActor,
  StaffRole,
} from './claims.js';
export { AuthError, type AuthFailure, isAuthError } from './errors.js';
export { FailureThrottle, type FailureThrottleOptions } from './failure-throttle.js';
export { identityKeyResolver } from './identity-jwks.js';
export {
  createJwksKeyResolver,
  DEFAULT_JWKS_CACHE_TTL_MS,
  DEFAULT_JWKS_MAX_STALE_MS,
  DEFAULT_JWKS_MIN_REFETCH_INTERVAL_MS,
  type HttpJwksFetcherOptions,
  httpJwksFetcher,
  importVerificationKeys,
  type JwksKeyResolverOptions,
  type KeyResolver,
  localKeyResolver,
  MAX_JWKS_BYTES,
  type VerificationKey,
} from './keys.js';
export {
  type AccessTokenAuthOptions,
  accessTokenAuth,
  hasRole,
  type RouteAuth,
  requireActor,
} from './plugin.js';
export {
  DEFAULT_ACCESS_TOKEN_TTL_SECONDS,
  type SignAccessTokenOptions,
  signAccessToken,
} from './sign.js';
export {
  type CachedVerification,
  DEFAULT_TOKEN_CACHE_MAX_AGE_MS,
  type TokenCacheOptions,
  VerifiedTokenCache,
} from './token-cache.js';
export {
  DEFAULT_CLOCK_TOLERANCE_SECONDS,
  MAX_ACCESS_TOKEN_LENGTH,
  type VerifyAccessTokenOptions,
  verifyAccessToken,
} from './verify.js';
