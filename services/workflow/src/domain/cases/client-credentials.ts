import { createIdentityClient } from '@tongban/clients';
import { problem } from '../../errors.js';

/** A cached token is replaced this long before it expires, so no call leaves with one about to. */
export const TOKEN_REFRESH_MARGIN_MS = 60_000;
/** The token request gets this long; a hanging identity must not hang the case that waits. */
export const IDENTITY_CALL_TIMEOUT_MS = 5_000;

const unavailable = () =>
  problem('identity_unavailable', 'Workflow cannot sign in to the other services just now.');

/**
 * Workflow's own access token (OAuth client credentials at identity's POST /v1/auth/token), for
 * its calls to records. The token is kept until `TOKEN_REFRESH_MARGIN_MS` before the absolute
 * expiry identity gave it (measured from when it was asked for, so clock differences between the
 * services do not matter), and never renewed by use. Callers arriving while a request is out
 * share that request. A failure is handed to the callers that waited for it and not kept: the
 * next call asks again. Any failure (identity unreachable, slow, refusing the client) is
 * `identity_unavailable` with no detail: the secret is configuration, not the caller's business.
 */
export function clientCredentialsToken(options: {
  identityUrl: string;
  clientId: string;
  clientSecret: string;
  clock: () => Date;
  fetch?: typeof fetch;
}): () => Promise<string> {
  const send = options.fetch ?? fetch;
  const identity = createIdentityClient({
    baseUrl: options.identityUrl,
    fetch: (request) =>
      send(new Request(request, { signal: AbortSignal.timeout(IDENTITY_CALL_TIMEOUT_MS) })),
  });
  let cached: { readonly token: string; readonly refreshAt: number } | undefined;
  let pending: Promise<string> | undefined;

  async function requestToken(): Promise<string> {
    const askedAt = options.clock().getTime();
    const res = await identity
      .POST('/v1/auth/token', {
        body: {
          grant_type: 'client_credentials',
          client_id: options.clientId,
          client_secret: options.clientSecret,
        },
      })
      .catch(() => {
        throw unavailable();
      });
    const data = res.response.status === 200 ? res.data : undefined;
    if (
      data === undefined ||
      typeof data.access_token !== 'string' ||
      data.access_token === '' ||
      !Number.isFinite(data.expires_in)
    ) {
      throw unavailable();
    }
    cached = {
      token: data.access_token,
      refreshAt: askedAt + data.expires_in * 1000 - TOKEN_REFRESH_MARGIN_MS,
    };
    return data.access_token;
  }

  return () => {
    if (cached !== undefined && options.clock().getTime() < cached.refreshAt) {
      return Promise.resolve(cached.token);
    }
    if (pending === undefined) {
      pending = requestToken().finally(() => {
        pending = undefined;
      });
    }
    return pending;
  };
}
