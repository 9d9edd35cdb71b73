import { randomUUID } from 'node:crypto';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK } from 'jose';
import { type AccessTokenSubjectClaims, signAccessToken } from '../../src/index.js';

export const ISSUER = 'https://identity.tongban.test';
export const AUDIENCE = 'https://workflow.tongban.test';
export const NOW = new Date('2030-01-15T09:00:00Z');

export interface TestKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

export async function makeKey(kid = `k-${randomUUID()}`): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, use: 'sig' } };
}

type ClaimsOf<K extends AccessTokenSubjectClaims['kind']> = Extract<
  AccessTokenSubjectClaims,
  { kind: K }
>;

export const staffClaims: ClaimsOf<'staff'> = {
  kind: 'staff',
  sub: 'staff-0001',
  client_id: 'portal',
  scope: 'cases:read cases:decide',
  department: 'civil_affairs',
  roles: ['case_officer'],
};

export const clientClaims: ClaimsOf<'client'> = {
  kind: 'client',
  sub: 'client-tax-bureau',
  client_id: 'client-tax-bureau',
  scope: 'records:read',
  department: 'tax_bureau',
  roles: ['records_reader'],
};

export const residentClaims: ClaimsOf<'resident'> = {
  kind: 'resident',
  sub: 'sub-5f2c1a',
  client_id: 'resident-app',
  scope: 'cases:read cases:submit',
  roles: ['resident'],
};

export function sign(
  key: TestKey,
  claims: AccessTokenSubjectClaims = staffClaims,
  overrides: {
    now?: Date;
    issuer?: string;
    audience?: string | string[];
    ttlSeconds?: number;
  } = {},
): Promise<string> {
  return signAccessToken({
    key: key.privateKey,
    kid: key.kid,
    issuer: overrides.issuer ?? ISSUER,
    audience: overrides.audience ?? AUDIENCE,
    claims,
    now: overrides.now ?? NOW,
    ...(overrides.ttlSeconds === undefined ? {} : { ttlSeconds: overrides.ttlSeconds }),
  });
}

export const b64url = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
