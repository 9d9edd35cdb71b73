import {
  type AccessTokenSubjectClaims,
  DEFAULT_ACCESS_TOKEN_TTL_SECONDS,
  signAccessToken,
} from '@tongban/auth';
import type { IdentityContext } from '../context.js';

export interface IssuedAccessToken {
  readonly accessToken: string;
  readonly tokenType: 'Bearer' | 'DPoP';
  readonly expiresIn: number;
  readonly scope: string;
}

export async function issueAccessToken(
  ctx: Pick<IdentityContext, 'clock' | 'keys' | 'config'>,
  claims: AccessTokenSubjectClaims,
): Promise<IssuedAccessToken> {
  const { kid, privateKey } = await ctx.keys.signingKey();
  const accessToken = await signAccessToken({
    key: privateKey,
    kid,
    issuer: ctx.config.issuer,
    audience: ctx.config.audience,
    claims,
    now: ctx.clock(),
    ttlSeconds: DEFAULT_ACCESS_TOKEN_TTL_SECONDS,
  });
  return {
    accessToken,
    // RFC 9449 §5: a token bound to a key is a DPoP token.
    tokenType: claims.kind === 'resident' && claims.cnf ? 'DPoP' : 'Bearer',
    expiresIn: DEFAULT_ACCESS_TOKEN_TTL_SECONDS,
    scope: claims.scope,
  };
}
