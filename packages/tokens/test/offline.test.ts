import { exportJWK, generateKeyPair, type JSONWebKeySet } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  encodeStatusList,
  formatVerificationResult,
  issuePresentationToken,
  issueStatusListToken,
  type OfflineVerificationResult,
  STATUS_LIST_CAPACITY,
  StatusType,
  statusListUrl,
  verifyPresentationOffline,
} from '../src/index.js';
import { type IssuerKey, makeDeviceKeyId, makeIssuerKey, makeSubject } from './helpers/keys.js';

const IDENTITY = 'https://identity.tongban.example';
const NOW = new Date('2026-03-02T09:30:00.000Z');
const minutesAgo = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000);

let issuer: IssuerKey;
let device: string;
let jwks: JSONWebKeySet;

beforeAll(async () => {
  issuer = await makeIssuerKey();
  device = await makeDeviceKeyId();
  jwks = { keys: [issuer.publicJwk] };
});

/** A list `n` of 1,024 indices, all valid but for the statuses given (list-local indices). */
async function statusList(
  n: number,
  statuses: Record<number, number> = {},
  options: { issuedAt?: Date; expiresInSeconds?: number; key?: IssuerKey; bits?: 1 | 2 } = {},
) {
  const values = new Uint8Array(1024);
  for (const [index, status] of Object.entries(statuses)) values[Number(index)] = status;
  const key = options.key ?? issuer;
  const { token } = await issueStatusListToken({
    key: key.privateKey,
    kid: key.kid,
    issuer: 'tb',
    uri: statusListUrl(IDENTITY, n),
    list: encodeStatusList(values, options.bits ?? 2),
    now: options.issuedAt ?? minutesAgo(4),
    ttlSeconds: 300,
    expiresInSeconds: options.expiresInSeconds ?? 86_400,
  });
  return token;
}

async function presentation(statusIndex: number, issuedAt = NOW) {
  return issuePresentationToken({
    key: issuer.privateKey,
    kid: issuer.kid,
    issuer: 'tb',
    subject: makeSubject(),
    statusIndex,
    deviceKeyId: device,
    now: issuedAt,
  });
}

function verify(
  token: string,
  statusLists: string[],
  overrides: { jwks?: JSONWebKeySet; now?: Date } = {},
) {
  return verifyPresentationOffline(token, {
    jwks: overrides.jwks ?? jwks,
    statusLists,
    issuer: 'tb',
    now: overrides.now ?? NOW,
    statusListUri: (n) => statusListUrl(IDENTITY, n),
  });
}

function refusal(result: OfflineVerificationResult) {
  if (result.valid) throw new Error('expected a refusal');
  return result;
}

describe('verifyPresentationOffline', () => {
  it('accepts a valid credential and says how old its status is', async () => {
    const { token, jti } = await presentation(17);
    const result = await verify(token, [await statusList(0, { 16: StatusType.INVALID })]);
    expect(result).toMatchObject({
      valid: true,
      jti,
      issuer: 'tb',
      deviceKeyId: device,
      statusIndex: 17,
      status: 'valid',
      statusAsOf: minutesAgo(4),
      statusAgeSeconds: 240,
      statusStale: false,
      expiresAt: new Date(NOW.getTime() + 60_000),
    });
    expect(formatVerificationResult(result)).toMatch(
      /^VALID — subject .{6}…, not revoked as of 4 min ago\n/,
    );
  });

  it('refuses a revoked credential with credential_revoked and the age of the list', async () => {
    const { token } = await presentation(17);
    const result = refusal(await verify(token, [await statusList(0, { 17: StatusType.INVALID })]));
    expect(result).toMatchObject({
      code: 'credential_revoked',
      statusAsOf: minutesAgo(4),
      statusAgeSeconds: 240,
    });
    expect(formatVerificationResult(result)).toBe(
      'REFUSED (credential_revoked) — The credential has been revoked.\n' +
        '  status as of 4 min ago (2026-03-02T09:26:00.000Z)',
    );
  });

  it('refuses a suspended credential with credential_suspended', async () => {
    const { token } = await presentation(17);
    const result = refusal(
      await verify(token, [await statusList(0, { 17: StatusType.SUSPENDED })]),
    );
    expect(result).toMatchObject({ code: 'credential_suspended', statusAgeSeconds: 240 });
  });

  it('finds the list of an index beyond the first list', async () => {
    const index = 3 * STATUS_LIST_CAPACITY + 5;
    const { token } = await presentation(index);
    const lists = [await statusList(0), await statusList(3, { 5: StatusType.INVALID })];
    expect(refusal(await verify(token, lists)).code).toBe('credential_revoked');
  });

  it('says status_unknown when no list covers the index', async () => {
    const { token } = await presentation(STATUS_LIST_CAPACITY + 5);
    const result = refusal(await verify(token, [await statusList(0)]));
    expect(result.code).toBe('status_unknown');
    expect(result.reason).toContain('list 1');
    expect(result.statusAsOf).toBeUndefined();
  });

  it('says status_unknown when the list is shorter than the index', async () => {
    const { token } = await presentation(5_000);
    const result = refusal(await verify(token, [await statusList(0)]));
    expect(result).toMatchObject({ code: 'status_unknown', statusAgeSeconds: 240 });
  });

  it('says status_unknown when the only list has expired, with its age', async () => {
    const { token } = await presentation(17);
    const old = await statusList(
      0,
      {},
      { issuedAt: minutesAgo(60 * 26), expiresInSeconds: 86_400 },
    );
    const result = refusal(await verify(token, [old]));
    expect(result).toMatchObject({
      code: 'status_unknown',
      statusAsOf: minutesAgo(60 * 26),
      statusAgeSeconds: 26 * 3600,
    });
    expect(formatVerificationResult(result)).toContain('status as of 1 d ago');
  });

  it('uses the newest list when the bundle holds several', async () => {
    const { token } = await presentation(17);
    const revokedEarlier = await statusList(
      0,
      { 17: StatusType.INVALID },
      { issuedAt: minutesAgo(30) },
    );
    const reinstatedSince = await statusList(0, {}, { issuedAt: minutesAgo(2) });
    const result = await verify(token, [reinstatedSince, revokedEarlier]);
    expect(result).toMatchObject({ valid: true, statusAgeSeconds: 120 });
  });

  it('flags a list past its ttl as stale but still uses it', async () => {
    const { token } = await presentation(17);
    const result = await verify(token, [await statusList(0, {}, { issuedAt: minutesAgo(10) })]);
    expect(result).toMatchObject({ valid: true, statusAgeSeconds: 600, statusStale: true });
    expect(formatVerificationResult(result)).toContain('refresh the bundle');
  });

  it('ignores a list signed by a key outside the JWKS and says so', async () => {
    const { token } = await presentation(17);
    const forged = await statusList(0, {}, { key: await makeIssuerKey() });
    const result = refusal(await verify(token, [forged]));
    expect(result.code).toBe('status_unknown');
    expect(result.reason).toContain('1 list(s) in the bundle failed verification (unknown_key)');
  });

  it('refuses an application-specific status it does not understand', async () => {
    const { token } = await presentation(17);
    const result = refusal(await verify(token, [await statusList(0, { 17: 3 })]));
    expect(result.code).toBe('status_unknown');
    expect(result.reason).toContain('0x03');
  });

  it('passes the presentation refusal codes through', async () => {
    const { token } = await presentation(17, minutesAgo(5));
    const result = refusal(await verify(token, [await statusList(0)]));
    expect(result.code).toBe('presentation_expired');
    expect(formatVerificationResult(result)).toBe(
      'REFUSED (presentation_expired) — The code has expired; ask the resident to show a fresh one.',
    );
    expect(refusal(await verify('not a token', [])).code).toBe('malformed_token');
  });

  it('refuses a token whose key is not in the JWKS with unknown_key', async () => {
    const { token } = await presentation(17);
    const other = await makeIssuerKey();
    const result = refusal(
      await verify(token, [await statusList(0)], { jwks: { keys: [other.publicJwk] } }),
    );
    expect(result.code).toBe('unknown_key');
  });

  it('only trusts OKP Ed25519 keys, whatever their kid', async () => {
    const { token } = await presentation(17);
    const { publicKey } = await generateKeyPair('ES256');
    const impostor = { ...(await exportJWK(publicKey)), kid: issuer.kid };
    const { kid: _, use: __, alg: ___, ...bare } = issuer.publicJwk;
    const lists = [await statusList(0)];
    expect(refusal(await verify(token, lists, { jwks: { keys: [impostor] } })).code).toBe(
      'unknown_key',
    );
    expect(
      refusal(await verify(token, lists, { jwks: { keys: [{ ...issuer.publicJwk, use: 'enc' }] } }))
        .code,
    ).toBe('unknown_key');
    // A key published without a kid is found by its RFC 7638 thumbprint.
    expect((await verify(token, lists, { jwks: { keys: [bare] } })).valid).toBe(true);
  });

  it('never turns a JWKS with a private key into anything but a verification key', async () => {
    const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const privateJwk = await exportJWK(pair.privateKey);
    const { token } = await presentation(17);
    const lists = [await statusList(0)];
    const withLeak = { keys: [{ ...issuer.publicJwk, d: privateJwk.d }] };
    expect((await verify(token, lists, { jwks: withLeak })).valid).toBe(true);
  });

  it('survives a JWKS that is not one', async () => {
    const { token } = await presentation(17);
    const broken = { keys: 'nope' } as unknown as JSONWebKeySet;
    expect(refusal(await verify(token, [], { jwks: broken })).code).toBe('unknown_key');
  });
});

describe('formatVerificationResult', () => {
  it.each([
    [0, '0 s ago'],
    [59, '59 s ago'],
    [60, '1 min ago'],
    [3599, '59 min ago'],
    [3600, '1 h ago'],
    [86_399, '23 h ago'],
    [86_400, '1 d ago'],
  ])('describes an age of %i s as "%s"', (seconds, text) => {
    const result: OfflineVerificationResult = {
      valid: false,
      code: 'credential_revoked',
      reason: 'The credential has been revoked.',
      statusAsOf: NOW,
      statusAgeSeconds: seconds,
    };
    expect(formatVerificationResult(result).split('\n')[1]).toBe(
      `  status as of ${text} (2026-03-02T09:30:00.000Z)`,
    );
  });
});
