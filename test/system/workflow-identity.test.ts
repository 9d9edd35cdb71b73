import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { isApiError } from '@tongban/service-kit';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../services/identity/test/helpers/app.js';
import {
  adminToken,
  clerkIn,
  presentation,
  residentWithDevice,
  verify,
} from '../../services/identity/test/helpers/flow.js';
import {
  clientCredentialsToken,
  TOKEN_REFRESH_MARGIN_MS,
} from '../../services/workflow/src/domain/cases/client-credentials.js';
import { verificationChecker } from '../../services/workflow/src/domain/verifications/check-verification.js';
import { freePort } from '../helpers/system.js';

// Workflow's two calls to a real identity: its own client-credentials token (the client identity
// bootstraps from WORKFLOW_CLIENT_SECRET) and the check of a verification with the clerk's token.
const SECRET = randomBytes(32).toString('base64url');
let identity: TestApp;
let IDENTITY: string;

beforeAll(async () => {
  identity = await startTestApp({ WORKFLOW_CLIENT_SECRET: SECRET });
  await identity.app.listen({ port: 0, host: '127.0.0.1' });
  IDENTITY = `http://127.0.0.1:${(identity.app.server.address() as AddressInfo).port}`;
});
afterAll(() => identity.close());

/** The network to identity, counting the requests sent. */
function countingFetch() {
  const counter = {
    requests: 0,
    fetch: (async (input: Request) => {
      counter.requests++;
      return fetch(input);
    }) as typeof fetch,
  };
  return counter;
}

describe('clientCredentialsToken', () => {
  const tokens = (fetchImpl: typeof fetch, clientSecret = SECRET) =>
    clientCredentialsToken({
      identityUrl: IDENTITY,
      clientId: 'tb-workflow',
      clientSecret,
      clock: identity.clock,
      fetch: fetchImpl,
    });

  it('gets the service centre’s records:read token from identity with the bootstrapped client', async () => {
    const net = countingFetch();
    const token = await tokens(net.fetch)();
    expect(decodeJwt(token)).toMatchObject({
      kind: 'client',
      sub: 'tb-workflow',
      department: 'service_centre',
      scope: 'records:read',
    });
    expect(net.requests).toBe(1);
  });

  it('keeps the token until a minute before it expires, however often it is used', async () => {
    const net = countingFetch();
    const token = tokens(net.fetch);
    const first = await token();
    const lifetimeMs = ((decodeJwt(first).exp ?? 0) - (decodeJwt(first).iat ?? 0)) * 1000;
    expect(lifetimeMs).toBeGreaterThan(TOKEN_REFRESH_MARGIN_MS);
    const started = identity.clock().getTime();
    // Used every minute until just inside the margin: never renewed by use.
    while (identity.clock().getTime() + 60_000 < started + lifetimeMs - TOKEN_REFRESH_MARGIN_MS) {
      identity.clock.advance(60_000);
      expect(await token()).toBe(first);
    }
    identity.clock.set(new Date(started + lifetimeMs - TOKEN_REFRESH_MARGIN_MS - 1));
    expect(await token()).toBe(first);
    expect(net.requests).toBe(1);
    identity.clock.set(new Date(started + lifetimeMs - TOKEN_REFRESH_MARGIN_MS));
    const second = await token();
    expect(second).not.toBe(first);
    expect(net.requests).toBe(2);
  });

  it('shares one request among callers that arrive while it is out', async () => {
    const net = countingFetch();
    const token = tokens(net.fetch);
    const all = await Promise.all(Array.from({ length: 5 }, () => token()));
    expect(new Set(all).size).toBe(1);
    expect(net.requests).toBe(1);
  });

  it('does not keep a failure: the next call asks identity again', async () => {
    const net = countingFetch();
    let down = true;
    const flaky = (async (input: Request) => {
      if (down) throw new TypeError('fetch failed');
      return net.fetch(input);
    }) as typeof fetch;
    const token = tokens(flaky);
    const failed = await Promise.all([token(), token()].map((p) => p.catch((e: unknown) => e)));
    for (const err of failed) {
      expect(isApiError(err)).toBe(true);
      expect(err).toMatchObject({ code: 'identity_unavailable', status: 503 });
    }
    down = false;
    expect(decodeJwt(await token()).sub).toBe('tb-workflow');
    expect(net.requests).toBe(1);
  });

  it('is identity_unavailable when identity refuses the secret or cannot be reached', async () => {
    const wrong = tokens(countingFetch().fetch, randomBytes(32).toString('base64url'));
    await expect(wrong()).rejects.toMatchObject({ code: 'identity_unavailable', status: 503 });
    const unreachable = clientCredentialsToken({
      identityUrl: `http://127.0.0.1:${await freePort()}`,
      clientId: 'tb-workflow',
      clientSecret: SECRET,
      clock: identity.clock,
    });
    const err = await unreachable().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'identity_unavailable', status: 503 });
    expect(JSON.stringify(err)).not.toContain(SECRET);
  });
});

describe('verificationChecker', () => {
  let clerk: { token: string; department: string };
  let other: { token: string; department: string };
  let verified: { verificationId: string; subjectId: string; verifiedAt: string };
  let check: ReturnType<typeof verificationChecker>;

  beforeAll(async () => {
    check = verificationChecker({ identityUrl: IDENTITY });
    const admin = await adminToken(identity.app);
    clerk = await clerkIn(identity.app, admin);
    other = await clerkIn(identity.app, admin);
    const r = await residentWithDevice(identity, clerk.token);
    const res = await verify(
      identity.app,
      clerk.token,
      await presentation(identity.app, r.device, r.token),
    );
    expect(res.statusCode).toBe(200);
    verified = res.json();
  });

  const at = (offsetMs: number) => new Date(Date.parse(verified.verifiedAt) + offsetMs);
  const input = (overrides: Partial<Parameters<typeof check>[0]> = {}) => ({
    verificationId: verified.verificationId,
    subjectId: verified.subjectId,
    bearerToken: clerk.token,
    now: at(0),
    ...overrides,
  });

  it('finds a verification of this subject by the clerk’s department fresh for ten minutes', async () => {
    expect(await check(input())).toBe('fresh');
    expect(await check(input({ now: at(600_000) }))).toBe('fresh');
    expect(await check(input({ now: at(600_001) }))).toBe('stale');
    expect(await check(input({ now: at(60_000), maxAgeMs: 30_000 }))).toBe('stale');
  });

  it('allows 30 s of clock skew for a verification dated ahead, and no more', async () => {
    expect(await check(input({ now: at(-30_000) }))).toBe('fresh');
    expect(await check(input({ now: at(-30_001) }))).toBe('stale');
  });

  it('tells another subject’s verification apart', async () => {
    expect(await check(input({ subjectId: 'SomeoneElse00001' }))).toBe('other_subject');
  });

  it('is not_found for another department’s verification and for an unknown or malformed id', async () => {
    expect(await check(input({ bearerToken: other.token }))).toBe('not_found');
    expect(await check(input({ verificationId: crypto.randomUUID() }))).toBe('not_found');
    expect(await check(input({ verificationId: 'not-an-id' }))).toBe('not_found');
  });

  it('is forbidden for a token identity does not let check verifications', async () => {
    const officer = await clerkIn(identity.app, await adminToken(identity.app), {
      department: clerk.department,
      roles: ['case_officer'],
    });
    await expect(check(input({ bearerToken: officer.token }))).rejects.toMatchObject({
      code: 'forbidden',
      status: 403,
    });
  });

  it('is identity_unavailable when identity cannot be reached', async () => {
    const unreachable = verificationChecker({
      identityUrl: `http://127.0.0.1:${await freePort()}`,
    });
    await expect(unreachable(input())).rejects.toMatchObject({
      code: 'identity_unavailable',
      status: 503,
    });
  });
});
