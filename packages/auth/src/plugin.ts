import { type ApiError, problem } from '@tongban/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { decodeProtectedHeader } from 'jose';
import { type Actor, KINDS, type Kind } from './claims.js';
import { isAuthError } from './errors.js';
import { FailureThrottle, type FailureThrottleOptions } from './failure-throttle.js';
import type { KeyResolver } from './keys.js';
import { type TokenCacheOptions, VerifiedTokenCache } from './token-cache.js';
import { verifyAccessToken } from './verify.js';

/** What a route demands of its caller; present means "authenticate this route". */
export interface RouteAuth {
  /** The caller's kind must be one of these. */
  readonly kinds?: readonly Kind[];
  /** The caller must hold at least one of these roles. */
  readonly roles?: readonly string[];
  /** The token must grant every one of these scopes. */
  readonly scopes?: readonly string[];
  /** Anonymous callers pass with `request.actor` undefined; a token that is sent must still be valid. */
  readonly optional?: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth;
  }
  interface FastifyInstance {
    /** The verified-token cache of `accessTokenAuth`; clear it when a signing key is withdrawn. */
    accessTokenCache: VerifiedTokenCache | undefined;
  }
  interface FastifyRequest {
    /** Set by `accessTokenAuth` on routes that declare `config.auth` and received a valid token. */
    actor: Actor | undefined;
  }
}

export interface AccessTokenAuthOptions {
  readonly resolver: KeyResolver;
  readonly issuer: string;
  readonly audience: string;
  readonly now?: () => Date;
  /**
   * Verified tokens are remembered briefly (default 10 s from verification, never renewed by use;
   * 10,000 tokens); `false` turns it off.
   */
  readonly cache?: TokenCacheOptions | false;
  /** Refused tokens per address before 429 (default 60 a minute); `false` turns it off. */
  readonly failureThrottle?: FailureThrottleOptions | false;
}

type Scheme = 'Bearer' | 'DPoP';

// RFC 7235: the auth-scheme is case-insensitive; RFC 6750 §2.1: the credentials are a token68.
const SCHEME = /^(Bearer|DPoP)(?: |$)/i;
const CREDENTIALS = /^(?:Bearer|DPoP) ([A-Za-z0-9\-._~+/]+=*)$/i;
const KNOWN_KINDS: ReadonlySet<string> = new Set(KINDS);

/**
 * Authenticates every route that declares `config: { auth }` from its access token, then checks
 * kind, roles and scopes. The hook runs at onRequest — before the body is read and before the
 * rate limit (preValidation) — so limits are counted per actor rather than per address.
 */
export const accessTokenAuth = fp<AccessTokenAuthOptions>(
  async (app: FastifyInstance, options) => {
    const now = options.now ?? (() => new Date());
    const cache = options.cache === false ? undefined : new VerifiedTokenCache(options.cache);
    const throttle =
      options.failureThrottle === false ? undefined : new FailureThrottle(options.failureThrottle);
    app.decorateRequest('actor', undefined);
    app.decorate('accessTokenCache', cache);

    // A typo such as `kinds: []` would lock everyone out (or, read the other way, nobody); fail at
    // startup instead of at the first request.
    app.addHook('onRoute', (route) => {
      const auth = route.config?.auth;
      if (auth !== undefined) assertRouteAuth(auth, `${route.method} ${route.url}`);
    });

    // A cached verification stands only while its key still resolves: the resolver's own set has
    // an absolute expiry, so a key withdrawn at the issuer stops every cached token signed by it
    // as soon as this process has seen the new set, not when the entries would have expired.
    async function cachedActor(token: string, nowMs: number): Promise<Actor | undefined> {
      const hit = cache?.get(token, nowMs);
      if (hit === undefined) return undefined;
      let key: unknown;
      try {
        key = await options.resolver.resolve(hit.kid);
      } catch {
        key = undefined;
      }
      if (key !== undefined) return hit.actor;
      cache?.forgetKid(hit.kid);
      return undefined;
    }

    app.addHook('onRequest', async (request) => {
      const auth = request.routeOptions.config.auth;
      if (auth === undefined) return;

      const header = request.headers.authorization;
      if (header === undefined) {
        if (auth.optional === true) return;
        throw missingCredentials();
      }
      const schemeName = SCHEME.exec(header)?.[1]?.toLowerCase();
      if (schemeName === undefined) {
        // RFC 6750 §3.1 counts an unsupported scheme (Basic, …) as no credentials at all.
        if (auth.optional === true) return;
        throw missingCredentials();
      }
      const scheme: Scheme = schemeName === 'dpop' ? 'DPoP' : 'Bearer';
      const token = CREDENTIALS.exec(header)?.[1];
      if (token === undefined) throw invalidToken(scheme);

      const at = now();
      const wait = throttle?.retryAfter(request.ip, at.getTime()) ?? 0;
      if (wait > 0) {
        throw problem(
          'rate_limited',
          'Too many invalid access tokens from this address; slow down.',
          {
            headers: { 'retry-after': String(wait) },
          },
        );
      }
      let actor: Actor | undefined = await cachedActor(token, at.getTime());
      try {
        if (actor === undefined) {
          actor = await verifyAccessToken(token, {
            resolver: options.resolver,
            issuer: options.issuer,
            audience: options.audience,
            now: at,
          });
          // Verified, so the header is well formed and names a kid.
          const { kid } = decodeProtectedHeader(token);
          if (cache !== undefined && typeof kid === 'string') {
            cache.set(token, { actor, kid }, at.getTime());
          }
        }
      } catch (err) {
        throttle?.recordFailure(request.ip, at.getTime());
        request.log.info(
          { reason: isAuthError(err) ? err.reason : 'unexpected' },
          'access token refused',
        );
        throw invalidToken(scheme);
      }
      // RFC 9449 §7.2: a DPoP-bound token presented as a bearer token is a downgrade and MUST be
      // refused; an unbound one under the DPoP scheme has no key a proof could match.
      const bound = actor.kind === 'resident' && actor.dpopKeyThumbprint !== undefined;
      if (bound !== (scheme === 'DPoP')) throw invalidToken(scheme);

      request.actor = actor;
      request.rateLimitKey = `actor:${actor.subject}`;
      authorize(actor, auth, scheme);
    });
  },
  { name: 'tongban-auth', fastify: '5.x' },
);

function authorize(actor: Actor, auth: RouteAuth, scheme: Scheme): void {
  if (auth.kinds !== undefined && !auth.kinds.includes(actor.kind)) {
    throw insufficient(scheme, 'This endpoint is not available to this kind of account.');
  }
  if (auth.roles !== undefined && !auth.roles.some((role) => hasRole(actor, role))) {
    throw insufficient(scheme, 'Your roles do not allow this action.');
  }
  if (auth.scopes !== undefined) {
    const missing = auth.scopes.filter((scope) => !actor.scopes.has(scope));
    if (missing.length > 0) {
      throw insufficient(scheme, 'The access token lacks a required scope.', auth.scopes);
    }
  }
}

export function hasRole(actor: Actor, role: string): boolean {
  return (actor.roles as readonly string[]).includes(role);
}

/** For handlers on `optional` routes (or shared code) that need a caller after all. */
export function requireActor(request: FastifyRequest): Actor {
  if (request.actor === undefined) throw missingCredentials();
  return request.actor;
}

// RFC 6750 §3.1: a request without credentials gets a bare challenge, no error code.
function missingCredentials(): ApiError {
  return problem('unauthorized', 'This endpoint requires an access token.', {
    headers: { 'www-authenticate': 'Bearer' },
  });
}

function invalidToken(scheme: Scheme): ApiError {
  return problem('unauthorized', 'The access token is expired or invalid.', {
    headers: { 'www-authenticate': `${scheme} error="invalid_token"` },
  });
}

function insufficient(scheme: Scheme, detail: string, scopes?: readonly string[]): ApiError {
  const scope = scopes === undefined ? '' : `, scope="${scopes.join(' ')}"`;
  return problem('forbidden', detail, {
    headers: { 'www-authenticate': `${scheme} error="insufficient_scope"${scope}` },
  });
}

const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

function assertRouteAuth(auth: RouteAuth, route: string): void {
  const fail = (why: string) => {
    throw new TypeError(`config.auth of ${route}: ${why}`);
  };
  if (
    auth.kinds !== undefined &&
    (auth.kinds.length === 0 || auth.kinds.some((k) => !KNOWN_KINDS.has(k)))
  ) {
    fail('kinds must be a non-empty list of staff, client, resident');
  }
  if (auth.roles !== undefined && (auth.roles.length === 0 || auth.roles.some((r) => r === ''))) {
    fail('roles must be a non-empty list of role names');
  }
  if (
    auth.scopes !== undefined &&
    (auth.scopes.length === 0 || auth.scopes.some((s) => !SCOPE_TOKEN.test(s)))
  ) {
    fail('scopes must be a non-empty list of scope tokens');
  }
}
