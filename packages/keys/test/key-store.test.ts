import { randomBytes } from 'node:crypto';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { deriveKeyEncryptionKey, open, SigningKeyStore } from '../src/index.js';
import {
  type KeyDatabase,
  MAX_AGE_MS,
  manualClock,
  OVERLAP_MS,
  openKeyDatabase,
  storeFor,
  table,
  verifyWith,
} from './helpers.js';

let kdb: KeyDatabase;
beforeAll(async () => {
  kdb = await openKeyDatabase();
});
afterAll(() => kdb.close());

// Each test starts from an empty table, so no test sees another's keys.
async function emptyTable() {
  await kdb.database.db.delete(table);
}

const kids = async (store: SigningKeyStore) => (await store.jwks()).keys.map((k) => k.kid).sort();

describe('SigningKeyStore rotation', () => {
  it('keeps the retired key published for the overlap, then drops it', async () => {
    await emptyTable();
    const clock = manualClock();
    const store = storeFor(kdb.database, clock);
    await store.ensureActiveKey();
    const before = await store.sign({
      typ: 'tb-test+jwt',
      payload: { n: 1 },
      expiresInSeconds: 600,
    });
    const oldKid = decodeProtectedHeader(before).kid as string;

    const { kid: newKid, retired } = await store.rotate();
    expect(retired).toEqual([oldKid]);
    expect(await kids(store)).toEqual([oldKid, newKid].sort());
    const after = await store.sign({
      typ: 'tb-test+jwt',
      payload: { n: 2 },
      expiresInSeconds: 600,
    });
    expect(decodeProtectedHeader(after).kid).toBe(newKid);
    await expect(verifyWith(store, before, clock())).resolves.toMatchObject({ n: 1 });

    clock.advance(OVERLAP_MS - 1000);
    expect(await kids(store)).toContain(oldKid);
    clock.advance(2000);
    expect(await kids(store)).toEqual([newKid]);
    expect(await store.resolve(oldKid)).toBeUndefined();
    // Another replica loading the table now agrees.
    expect(await kids(storeFor(kdb.database, clock))).toEqual([newKid]);
  });

  it('rotates by age: a key past its maximum age is replaced once, however many replicas check', async () => {
    await emptyTable();
    const clock = manualClock();
    const masterKey = randomBytes(32);
    const first = storeFor(kdb.database, clock, masterKey);
    await first.ensureActiveKey();
    const [original] = await kids(first);
    await first.ensureActiveKey();
    expect(await kids(first)).toEqual([original]);

    clock.advance(MAX_AGE_MS + 1000);
    expect(await first.keyAgeSeconds()).toBeGreaterThan(MAX_AGE_MS / 1000);
    const replicas = [first, storeFor(kdb.database, clock, masterKey)];
    await Promise.all(replicas.map((r) => r.ensureActiveKey()));
    const now = await kids(storeFor(kdb.database, clock, masterKey));
    expect(now).toHaveLength(2);
    expect(now).toContain(original);
    expect(await first.keyAgeSeconds()).toBe(0);
  });
});

describe('SigningKeyStore revocation', () => {
  it('removes a key from the JWKS at once, and what it signed stops verifying', async () => {
    await emptyTable();
    const clock = manualClock();
    const store = storeFor(kdb.database, clock);
    await store.ensureActiveKey();
    const token = await store.sign({ typ: 'tb-test+jwt', payload: { n: 1 }, expiresInSeconds: 60 });
    // A replica that only verifies: it never opens a private key, so its master key is irrelevant.
    const verifier = storeFor(kdb.database, clock);
    await expect(verifyWith(verifier, token, clock())).resolves.toMatchObject({ n: 1 });
    const kid = decodeProtectedHeader(token).kid as string;
    await expect(verifyWith(store, token, clock())).resolves.toMatchObject({ n: 1 });

    const outcome = await store.revoke(kid);
    expect(outcome.revoked).toBe(true);
    expect(outcome.newKid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await kids(store)).toEqual([outcome.newKid]);
    await expect(verifyWith(store, token, clock())).rejects.toThrow(/unknown kid/);
    // The other replica's cached view still holds the key until its snapshot expires (10 s); a
    // replica loading the table now refuses it.
    await expect(verifyWith(storeFor(kdb.database, clock), token, clock())).rejects.toThrow(
      /unknown kid/,
    );
    // The replacement signs, and a second revoke of the same kid changes nothing.
    const next = await store.sign({ typ: 'tb-test+jwt', payload: { n: 2 }, expiresInSeconds: 60 });
    expect(decodeProtectedHeader(next).kid).toBe(outcome.newKid);
    expect(await store.revoke(kid)).toEqual({ revoked: false });
  });
});

describe('SigningKeyStore.history', () => {
  it('keeps every key with its signing window after it leaves the JWKS, and marks withdrawn ones', async () => {
    await emptyTable();
    const clock = manualClock();
    const store = storeFor(kdb.database, clock);
    await store.ensureActiveKey();
    const first = (await store.jwks()).keys[0]?.kid as string;
    const startedAt = clock();
    clock.advance(60_000);
    const { kid: second } = await store.rotate();
    const rotatedAt = clock();
    clock.advance(60_000);
    const { kid: third } = await store.rotate();
    const rotatedAgainAt = clock();
    clock.advance(60_000);
    // The second key, rotated out and still published, is revoked: withdrawn, not merely retired.
    expect(await store.revoke(second)).toEqual({ revoked: true });
    const revokedAt = clock();
    // Past the overlap: the first key has left the JWKS, not the history.
    clock.advance(OVERLAP_MS + 1000);
    expect(await kids(store)).toEqual([third]);

    const history = await store.history();
    expect(history.map((k) => k.kid)).toEqual([first, second, third]);
    expect(history[0]).toMatchObject({
      signingFrom: startedAt,
      signingUntil: rotatedAt,
      withdrawnAt: null,
      jwk: { kid: first, kty: 'OKP', crv: 'Ed25519' },
    });
    expect(history[0]?.jwk).not.toHaveProperty('d');
    expect(history[1]).toMatchObject({
      signingFrom: rotatedAt,
      signingUntil: rotatedAgainAt,
      withdrawnAt: revokedAt,
    });
    expect(history[2]).toMatchObject({
      signingFrom: rotatedAgainAt,
      signingUntil: null,
      withdrawnAt: null,
    });
    // The key that signs now, revoked: withdrawn at once, and it stopped signing then.
    const { newKid } = await store.revoke(third);
    expect((await store.history())[2]).toMatchObject({
      signingUntil: clock(),
      withdrawnAt: clock(),
    });
    expect((await store.history()).at(-1)?.kid).toBe(newKid);
  });
});

describe('SigningKeyStore snapshot of the key table', () => {
  it('lets another replica see a revocation when its snapshot expires, however often it is read', async () => {
    await emptyTable();
    const clock = manualClock();
    const store = storeFor(kdb.database, clock);
    await store.ensureActiveKey();
    const [kid] = await kids(store);
    // A replica whose view of the table lives 300 ms of wall time from when it was read.
    const replica = new SigningKeyStore({
      db: kdb.database.db,
      table,
      lockName: 'tongban.keys-test.signing-keys',
      keyEncryptionKey: deriveKeyEncryptionKey(randomBytes(32), 'keys-test'),
      clock,
      overlapMs: OVERLAP_MS,
      maxAgeMs: MAX_AGE_MS,
      cacheMs: 300,
    });
    expect(await kids(replica)).toEqual([kid]);

    const { newKid } = await store.revoke(kid as string);
    // Read every 20 ms: the reads never keep the old view alive, so the withdrawal shows.
    await vi.waitFor(async () => expect(await kids(replica)).toEqual([newKid]), {
      timeout: 10_000,
      interval: 20,
    });
  });
});

describe('SigningKeyStore sealing at rest', () => {
  it('stores no private key in clear, and a sealed key opens only under its master key and on its row', async () => {
    await emptyTable();
    const clock = manualClock();
    const masterKey = randomBytes(32);
    const store = storeFor(kdb.database, clock, masterKey);
    await store.ensureActiveKey();
    await store.rotate();
    const rows = await kdb.database.db.select().from(table);
    expect(rows).toHaveLength(2);
    const [a, b] = rows as [(typeof rows)[number], (typeof rows)[number]];
    expect(a.privateKeyEncrypted).not.toMatch(/"d"/);
    expect(JSON.stringify(a.publicJwk)).not.toMatch(/"d"/);

    const kek = deriveKeyEncryptionKey(masterKey, 'keys-test');
    expect(JSON.parse(open(kek, a.privateKeyEncrypted, a.kid).toString('utf8'))).toHaveProperty(
      'd',
    );
    const otherKek = deriveKeyEncryptionKey(randomBytes(32), 'keys-test');
    expect(() => open(otherKek, a.privateKeyEncrypted, a.kid)).toThrow();
    // Same master key, another service: another subkey.
    expect(() =>
      open(deriveKeyEncryptionKey(masterKey, 'other-service'), a.privateKeyEncrypted, a.kid),
    ).toThrow();
    // The kid is associated data: a ciphertext moved onto another row does not open.
    expect(() => open(kek, a.privateKeyEncrypted, b.kid)).toThrow();

    // A replica given the wrong master key cannot sign with the stored key.
    const wrong = storeFor(kdb.database, clock, randomBytes(32));
    await expect(
      wrong.sign({ typ: 'tb-test+jwt', payload: {}, expiresInSeconds: 60 }),
    ).rejects.toThrow();
  });
});

describe('SigningKeyStore.sign', () => {
  it('makes a compact EdDSA JWS with kid, typ, iat and exp from the store clock, verifiable from the JWKS', async () => {
    await emptyTable();
    const clock = manualClock();
    const store = storeFor(kdb.database, clock);
    const token = await store.sign({
      typ: 'tb-log-head+jwt',
      payload: { sub: 'log', size: 3 },
      expiresInSeconds: 300,
    });
    const header = decodeProtectedHeader(token);
    expect(header).toEqual({ alg: 'EdDSA', typ: 'tb-log-head+jwt', kid: expect.any(String) });
    const { payload } = await jwtVerify(token, createLocalJWKSet(await store.jwks()), {
      algorithms: ['EdDSA'],
      typ: 'tb-log-head+jwt',
      currentDate: clock(),
    });
    const iat = Math.floor(clock().getTime() / 1000);
    expect(payload).toEqual({ sub: 'log', size: 3, iat, exp: iat + 300 });
  });

  it('refuses a lifetime longer than the key overlap, which would outlive its key in the JWKS', async () => {
    const store = storeFor(kdb.database, manualClock());
    await expect(
      store.sign({ typ: 'tb-test+jwt', payload: {}, expiresInSeconds: OVERLAP_MS / 1000 + 1 }),
    ).rejects.toThrow(RangeError);
    await expect(
      store.sign({ typ: 'tb-test+jwt', payload: {}, expiresInSeconds: 0 }),
    ).rejects.toThrow(RangeError);
  });
});
