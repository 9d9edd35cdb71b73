import { type KeyResolver, signAccessToken } from '@tongban/auth';
import { type CryptoKey, generateKeyPair } from 'jose';

/** Identity's signing key as the tests hold it: sign any caller's token, resolve it by kid. */
export interface TestIssuer {
  readonly keyResolver: KeyResolver;
  /** `scope`: the space-separated scopes identity would grant (none by default). */
  staff(department: string, roles: string[], subject?: string, scope?: string): Promise<string>;
  client(department: string, subject?: string, scope?: string): Promise<string>;
  /**
   * A resident's token; with `jkt` it is bound to that device key (`cnf.jkt`, RFC 9449) and must
   * be sent as `Authorization: DPoP <token>` with a proof signed by the key.
   */
  resident(subject?: string, options?: { readonly jkt?: string }): Promise<string>;
}

export async function testIssuer(now: () => Date): Promise<TestIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const kid = 'test-key';
  const sign = (claims: Parameters<typeof signAccessToken>[0]['claims']) =>
    signAccessToken({
      key: privateKey as CryptoKey,
      kid,
      issuer: 'tb',
      audience: 'tongban',
      claims,
      now: now(),
    });
  return {
    keyResolver: { resolve: async (k) => (k === kid ? (publicKey as CryptoKey) : undefined) },
    staff: (department, roles, subject = `staff-${department}-${roles.join('-')}`, scope = '') =>
      sign({
        kind: 'staff',
        sub: subject,
        client_id: 'tongban-portal',
        department,
        roles: roles as never,
        scope,
      }),
    client: (department, subject = `client-${department}`, scope = '') =>
      sign({ kind: 'client', sub: subject, client_id: subject, department, roles: [], scope }),
    resident: (subject = 'resident-1', options = {}) =>
      sign({
        kind: 'resident',
        sub: subject,
        client_id: 'tongban-resident',
        roles: ['resident'],
        scope: '',
        ...(options.jkt === undefined ? {} : { cnf: { jkt: options.jkt } }),
      }),
  };
}
