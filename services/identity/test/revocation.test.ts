import {
  formatVerificationResult,
  STATUS_LIST_CAPACITY,
  StatusType,
  statusListUrl,
  verifyPresentationOffline,
  verifyStatusListToken,
} from '@tongban/tokens';
import { type CryptoKey, importJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUBLIC_URL, startTestApp, type TestApp } from './helpers/app.js';
import {
  adminToken,
  bearer,
  clerkIn,
  presentation,
  residentWithDevice,
  verify,
} from './helpers/flow.js';

describe('revoke, suspend and reinstate a credential', () => {
  let t: TestApp;
  let clerk: string;
  let departmentAdmin: string;
  beforeAll(async () => {
    t = await startTestApp();
    const admin = await adminToken(t.app);
    const counter = await clerkIn(t.app, admin);
    clerk = counter.token;
    // Only the enrolling department's administrators change its credentials.
    departmentAdmin = (
      await clerkIn(t.app, admin, { department: counter.department, roles: ['department_admin'] })
    ).token;
  });
  afterAll(() => t.close());

  const act = (id: string, action: string, headers: Record<string, string> = {}) =>
    t.app.inject({
      method: 'POST',
      url: `/v1/credentials/${id}/${action}`,
      headers: { ...bearer(departmentAdmin), ...headers },
      payload: { reason: `test ${action}` },
    });

  async function statusFromList(statusIndex: number): Promise<{ status: number; token: string }> {
    const n = Math.floor(statusIndex / STATUS_LIST_CAPACITY);
    const res = await t.app.inject({ method: 'GET', url: `/v1/status-lists/${n}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/statuslist\+jwt/);
    const jwks = (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json();
    const list = await verifyStatusListToken(res.body, {
      resolver: {
        async resolve(kid) {
          const jwk = jwks.keys.find((k: { kid: string }) => k.kid === kid);
          return jwk ? ((await importJWK(jwk, 'EdDSA')) as CryptoKey) : undefined;
        },
      },
      now: t.clock(),
    });
    expect(list.uri).toBe(statusListUrl(PUBLIC_URL, n));
    return { status: list.get(statusIndex % STATUS_LIST_CAPACITY) ?? -1, token: res.body };
  }

  it('fails online verification at once after revocation, and the list and offline verifier agree', async () => {
    const r = await residentWithDevice(t, clerk);
    const { id, statusIndex } = r.enrolled.credential;
    const minted = await presentation(t.app, r.device, r.token);
    const before = await statusFromList(statusIndex);
    expect(before.status).toBe(StatusType.VALID);

    const revoked = await act(id, 'revoke');
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json()).toMatchObject({
      status: 'revoked',
      statusReason: 'test revoke',
      version: 2,
    });

    const online = await verify(t.app, clerk, minted);
    expect(online.statusCode).toBe(403);
    expect(online.json().code).toBe('credential_revoked');

    const after = await statusFromList(statusIndex);
    expect(after.status).toBe(StatusType.INVALID);

    // An offline counter with a list fetched 4 minutes ago says so.
    const jwks = (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json();
    const offline = await verifyPresentationOffline(minted, {
      jwks,
      statusLists: [after.token],
      issuer: 'tb',
      now: new Date(t.clock().getTime() + 4 * 60_000 - 30_000),
      statusListUri: (n) => statusListUrl(PUBLIC_URL, n),
      clockToleranceSeconds: 300,
    });
    expect(offline).toMatchObject({ valid: false, code: 'credential_revoked' });
    expect(offline.statusAgeSeconds).toBeGreaterThanOrEqual(209);
    expect(formatVerificationResult(offline)).toMatch(
      /REFUSED \(credential_revoked\)[\s\S]*3 min ago/,
    );

    // The same code checked against the list from before the revocation: valid, and how old that news is.
    const stale = await verifyPresentationOffline(minted, {
      jwks,
      statusLists: [before.token],
      issuer: 'tb',
      now: t.clock(),
      statusListUri: (n) => statusListUrl(PUBLIC_URL, n),
    });
    expect(stale).toMatchObject({ valid: true, status: 'valid' });
    expect(formatVerificationResult(stale)).toMatch(/not revoked as of \d+ s ago/);

    const again = await act(id, 'reinstate');
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('invalid_transition');
  });

  it('round-trips suspend and reinstate, in verification and in the list', async () => {
    const r = await residentWithDevice(t, clerk);
    const { id, statusIndex } = r.enrolled.credential;

    const minted = await presentation(t.app, r.device, r.token);
    expect((await act(id, 'suspend')).json().status).toBe('suspended');
    const suspended = await verify(t.app, clerk, minted);
    expect(suspended.statusCode).toBe(403);
    expect(suspended.json().code).toBe('credential_suspended');
    const refusedIssue = await t.app.inject({
      method: 'POST',
      url: '/v1/presentations',
      headers: {
        authorization: `DPoP ${r.token}`,
        dpop: await r.device.proof('POST', '/v1/presentations', { accessToken: r.token }),
      },
      payload: {},
    });
    expect(refusedIssue.json().code).toBe('credential_suspended');
    expect((await statusFromList(statusIndex)).status).toBe(StatusType.SUSPENDED);

    expect((await act(id, 'reinstate')).json().status).toBe('valid');
    expect((await statusFromList(statusIndex)).status).toBe(StatusType.VALID);
    expect(
      (await verify(t.app, clerk, await presentation(t.app, r.device, r.token))).statusCode,
    ).toBe(200);
  });

  it('refuses a change based on a stale version (If-Match) with 412 version_conflict', async () => {
    const r = await residentWithDevice(t, clerk);
    const { id } = r.enrolled.credential;
    const read = await t.app.inject({
      method: 'GET',
      url: `/v1/credentials/${id}`,
      headers: bearer(departmentAdmin),
    });
    const etag = read.headers.etag as string;
    expect(etag).toMatch(/\.v1"$/);
    expect((await act(id, 'suspend', { 'if-match': etag })).statusCode).toBe(200);
    const stale = await act(id, 'reinstate', { 'if-match': etag });
    expect(stale.statusCode).toBe(412);
    expect(stale.json().code).toBe('version_conflict');
  });

  it('refuses a clerk without department_admin', async () => {
    const r = await residentWithDevice(t, clerk);
    const res = await t.app.inject({
      method: 'POST',
      url: `/v1/credentials/${r.enrolled.credential.id}/revoke`,
      headers: bearer(clerk),
      payload: { reason: 'not allowed' },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('forbidden');
  });

  it('answers an unknown credential with 404 and an unknown list with 404', async () => {
    expect((await act('cred_nope', 'revoke')).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: '/v1/status-lists/99' })).json().code).toBe(
      'not_found',
    );
  });
});
