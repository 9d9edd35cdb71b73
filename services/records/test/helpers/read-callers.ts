import { type KeyResolver, signAccessToken } from '@tongban/auth';
import { type CryptoKey, generateKeyPair } from 'jose';
import { type TestDevice, testDevice } from './resident.js';

/** A resident as the tests hold them: their access token, bound to their device key. */
export interface TestResident {
  readonly subjectId: string;
  readonly token: string;
  /** The device the token is bound to (`cnf.jkt`); DPoP proofs are signed with its key. */
  readonly device: TestDevice;
}

/** A hand-moved clock: the app, every token, grant and consent of a test read the same one. */
export function manualClock(start = Date.parse('2030-01-15T09:00:00Z')) {
  let now = start;
  return {
    now: () => new Date(now),
    advance(ms: number) {
      now += ms;
    },
  };
}

/**
 * Identity's signing key as the read tests hold it. Unlike the shared test issuer, tokens here
 * carry scopes (`records:read`, `records:write`) and residents' tokens are DPoP-bound, as
 * identity issues them.
 */
export async function readCallers(now: () => Date) {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const kid = 'records-read-test';
  const sign = (claims: Parameters<typeof signAccessToken>[0]['claims']) =>
    signAccessToken({
      key: privateKey,
      kid,
      issuer: 'tb',
      audience: 'tongban',
      claims,
      now: now(),
    });
  const keyResolver: KeyResolver = {
    resolve: async (k) => (k === kid ? (publicKey as CryptoKey) : undefined),
  };
  return {
    keyResolver,
    staff: (
      department: string,
      roles: string[],
      scopes: string[] = [],
      subject = `staff-${department}-${roles.join('-')}`,
    ) =>
      sign({
        kind: 'staff',
        sub: subject,
        client_id: 'tongban-portal',
        department,
        roles: roles as never,
        scope: scopes.join(' '),
      }),
    client: (department: string, scopes: string[], subject = `client-${department}`) =>
      sign({
        kind: 'client',
        sub: subject,
        client_id: subject,
        department,
        roles: [],
        scope: scopes.join(' '),
      }),
    async resident(subjectId: string): Promise<TestResident> {
      const device = await testDevice(now);
      const jkt = device.jkt;
      const token = await sign({
        kind: 'resident',
        sub: subjectId,
        client_id: 'tongban-resident',
        roles: ['resident'],
        scope: '',
        cnf: { jkt },
      });
      return { subjectId, token, device };
    },
  };
}

export type ReadCallers = Awaited<ReturnType<typeof readCallers>>;

/**
 * The headers of a resident's request to records — the one place tests build them. Resident
 * tokens are DPoP-bound, so they travel under the DPoP scheme with a fresh RFC 9449 proof for
 * (`method`, `url`) signed by the resident's device key and bound to the token (`ath`).
 */
export async function residentHeaders(
  resident: TestResident,
  request: { readonly method: string; readonly url: string },
): Promise<Record<string, string>> {
  return {
    authorization: `DPoP ${resident.token}`,
    dpop: await resident.device.proof(request.method, request.url, {
      accessToken: resident.token,
    }),
  };
}
