import { testIssuer } from '@tongban/test-tokens';
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
 * Identity's signing key as the read tests hold it (the shared test issuer): tokens carry scopes
 * (`records:read`, `records:write`) and residents' tokens are DPoP-bound, as identity issues them.
 */
export async function readCallers(now: () => Date) {
  const issuer = await testIssuer(now);
  return {
    keyResolver: issuer.keyResolver,
    staff: (
      department: string,
      roles: string[],
      scopes: string[] = [],
      subject = `staff-${department}-${roles.join('-')}`,
    ) => issuer.staff(department, roles, subject, scopes.join(' ')),
    client: (department: string, scopes: string[], subject = `client-${department}`) =>
      issuer.client(department, subject, scopes.join(' ')),
    async resident(subjectId: string): Promise<TestResident> {
      const device = await testDevice(now);
      const token = await issuer.resident(subjectId, { jkt: device.jkt });
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
