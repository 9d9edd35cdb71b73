import { type KeyResolver, localKeyResolver } from '@tongban/auth';
import { CASE_GRANT_AUDIENCE, CASE_GRANT_TYP, DEFAULT_CASE_GRANT_ISSUER } from '@tongban/tokens';
import { type CryptoKey, exportJWK, generateKeyPair, SignJWT } from 'jose';

/**
 * Workflow's side of a case grant (ADR 0013), for tests: a key pair published as a JWKS, and
 * `signCaseGrant`, which builds exactly the grant records accepts. The workflow service's issuer
 * (`issueCaseGrant`) produces the same header and claims.
 */
export interface CaseGrantKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly jwks: { keys: Record<string, unknown>[] };
  readonly resolver: KeyResolver;
}

export async function caseGrantKey(kid = 'workflow-grant-key'): Promise<CaseGrantKey> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' }] };
  return { kid, privateKey, jwks, resolver: localKeyResolver(jwks) };
}

export interface CaseGrantFixture {
  readonly key: { readonly kid: string; readonly privateKey: CryptoKey };
  /** Issued at this instant (the test's clock). */
  readonly now: Date;
  readonly subjectId: string;
  readonly caseId: string;
  /** The reader department. */
  readonly department: string;
  readonly types: readonly string[];
  /** Default 300 s; at most 900 s is accepted. */
  readonly ttlSeconds?: number;
  readonly issuer?: string;
  readonly audience?: string;
  /** Extra or replaced header parameters (to build refused grants). */
  readonly header?: Readonly<Record<string, unknown>>;
  /** Extra or replaced claims. */
  readonly claims?: Readonly<Record<string, unknown>>;
}

/**
 * A compact JWS: header `{ alg: EdDSA, typ: tb-case-grant+jwt, kid }`, claims `iss`
 * (`tb-workflow`), `aud` (`tb-records`), `sub`, `case`, `dept`, `types`, `iat`, `exp`, `jti`.
 */
export function signCaseGrant(grant: CaseGrantFixture): Promise<string> {
  const iat = Math.floor(grant.now.getTime() / 1000);
  return new SignJWT({
    iss: grant.issuer ?? DEFAULT_CASE_GRANT_ISSUER,
    aud: grant.audience ?? CASE_GRANT_AUDIENCE,
    sub: grant.subjectId,
    case: grant.caseId,
    dept: grant.department,
    types: [...grant.types],
    iat,
    exp: iat + (grant.ttlSeconds ?? 300),
    jti: `grant-${crypto.randomUUID()}`,
    ...grant.claims,
  })
    .setProtectedHeader({
      alg: 'EdDSA',
      typ: CASE_GRANT_TYP,
      kid: grant.key.kid,
      ...grant.header,
    } as never)
    .sign(grant.key.privateKey);
}
