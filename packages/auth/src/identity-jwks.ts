import { createJwksKeyResolver, httpJwksFetcher, type KeyResolver } from './keys.js';

/**
 * The resolver a service uses for identity's keys: the JWKS at `<identityUrl>/.well-known/jwks.json`,
 * cached, refetched on an unknown kid at most every 5 s — short enough that a token signed right
 * after a rotation is accepted at once, long enough that made-up kids cannot drive traffic.
 */
export function identityKeyResolver(
  identityUrl: string,
  now: () => number = Date.now,
): KeyResolver {
  return createJwksKeyResolver({
    fetchJwks: httpJwksFetcher(`${identityUrl.replace(/\/+$/, '')}/.well-known/jwks.json`),
    now,
    minRefetchIntervalMs: 5_000,
  });
}
