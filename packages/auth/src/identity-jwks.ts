import { createJwksKeyResolver, httpJwksFetcher, type KeyResolver } from './keys.js';

/**
 * The resolver a service uses for identity's keys: the JWKS at `<identityUrl>/.well-known/jwks.json`,
 * with the resolver's defaults — a set lives 10 s from its fetch, an unknown kid refetches at most
 * every 5 s, and a set identity cannot refresh is used for at most 5 min. Together with the
 * verified-token cache (10 s) a withdrawn key stops working here within 30 s (ADR 0008).
 */
export function identityKeyResolver(
  identityUrl: string,
  now: () => number = Date.now,
): KeyResolver {
  return createJwksKeyResolver({
    fetchJwks: httpJwksFetcher(`${identityUrl.replace(/\/+$/, '')}/.well-known/jwks.json`),
    now,
  });
}
