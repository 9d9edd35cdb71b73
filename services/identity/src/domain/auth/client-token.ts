import { timingSafeEqual } from 'node:crypto';
import type { RequestContext } from '@tongban/service-kit';
import { eq } from 'drizzle-orm';
import { sha256 } from '../../crypto/secrets.js';
import { clients } from '../../db/schema.js';
import { type IdentityErrorCode, problem } from '../../errors.js';
import type { Actor, IdentityContext } from '../context.js';
import { issueAccessToken } from './issue-access-token.js';

export interface ClientTokenInput {
  readonly grantType: string;
  readonly clientId: string | undefined;
  readonly clientSecret: string | undefined;
  readonly scope: string | undefined;
  /** The client authenticated with HTTP Basic (RFC 6749 §2.3.1): failures then answer a Basic challenge. */
  readonly usedBasic: boolean;
}

// RFC 6749 §5.2 error names double as the stable codes; `error` is kept for OAuth libraries.
const oauthError = (
  code: IdentityErrorCode & ('unsupported_grant_type' | 'invalid_client' | 'invalid_scope'),
  detail: string,
  headers?: Record<string, string>,
) => problem(code, detail, { extensions: { error: code }, ...(headers ? { headers } : {}) });

/**
 * OAuth 2.0 client credentials grant (RFC 6749 §4.4) for department systems. Secrets are 256
 * random bits, so a plain SHA-256 is enough to store them: there is nothing to brute-force.
 */
export async function clientToken({
  ctx,
  input,
}: {
  ctx: RequestContext<Actor | undefined> & Pick<IdentityContext, 'keys' | 'config'>;
  input: ClientTokenInput;
}) {
  if (input.grantType !== 'client_credentials') {
    throw oauthError('unsupported_grant_type', 'Only the client_credentials grant is supported.');
  }
  const invalidClient = () =>
    oauthError(
      'invalid_client',
      'Client authentication failed.',
      input.usedBasic ? { 'www-authenticate': 'Basic realm="tongban"' } : undefined,
    );
  if (!input.clientId || !input.clientSecret) throw invalidClient();
  const [client] = await ctx.db
    .select()
    .from(clients)
    .where(eq(clients.clientId, input.clientId))
    .limit(1);
  const presented = Buffer.from(sha256(input.clientSecret));
  const stored = Buffer.from(client?.secretHash ?? sha256('no such client'));
  const matches = presented.length === stored.length && timingSafeEqual(presented, stored);
  if (!client || !matches || client.disabledAt !== null) throw invalidClient();

  const granted = new Set(client.scopes);
  const requested = input.scope?.trim() ? input.scope.trim().split(/ +/) : client.scopes;
  const refused = requested.filter((s) => !granted.has(s));
  if (refused.length > 0) {
    throw oauthError('invalid_scope', `Scope not granted to this client: ${refused.join(' ')}`);
  }
  const token = await issueAccessToken(ctx, {
    kind: 'client',
    sub: client.clientId,
    client_id: client.clientId,
    department: client.departmentCode,
    roles: [],
    scope: [...new Set(requested)].sort().join(' '),
  });
  return {
    access_token: token.accessToken,
    token_type: 'Bearer' as const,
    expires_in: token.expiresIn,
    scope: token.scope,
  };
}
