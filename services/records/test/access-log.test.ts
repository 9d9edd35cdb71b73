import {
  type AccessLogItem,
  type Checkpoint,
  checkLog,
  type KeyHistory,
  verifyCheckpoint,
  verifyConsistency,
  verifyEntry,
} from '@tongban/access-log';
import type { JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AccessLogIssuer,
  accessLogIssuer,
  allPages,
  clientActor,
  MANUAL_SEQUENCER,
  manualClock,
  refusedRead,
  releasedRead,
  residentActor,
  residentRequest,
  sequence,
  staffActor,
  staffRequest,
  writeEntries,
} from './helpers/access-log.js';
import { startTestApp, type TestApp } from './helpers/app.js';

const clock = manualClock();
let t: TestApp;
let issuer: AccessLogIssuer;

// Two residents, two reading departments; the log holds reads of both by both.
const ALICE = 'subject-alice';
const BOB = 'subject-bob';

beforeAll(async () => {
  issuer = await accessLogIssuer(clock);
  t = await startTestApp(
    {},
    { keyResolver: issuer.keyResolver, clock, accessLogSequencer: MANUAL_SEQUENCER },
  );
});
afterAll(() => t.close());

const get = (token: string | undefined, url: string) => staffRequest(t.app, token, url);

async function keyHistory(): Promise<KeyHistory> {
  const res = await t.app.inject({ method: 'GET', url: '/v1/access-log/keys' });
  expect(res.statusCode).toBe(200);
  return res.json();
}

async function verified(jws: string | null): Promise<Checkpoint> {
  if (jws === null) throw new Error('no checkpoint');
  const verdict = await verifyCheckpoint(jws, await keyHistory());
  if (!verdict.ok) throw new Error(`${verdict.problem}: ${verdict.detail}`);
  return verdict.checkpoint;
}

describe('the access log before anything is sequenced', () => {
  it('has no checkpoint, and lists entries as pending without proofs', async () => {
    const latest = await t.app.inject({ method: 'GET', url: '/v1/access-log/checkpoints/latest' });
    expect(latest.statusCode).toBe(404);
    expect(latest.json()).toMatchObject({ code: 'tree_size_unavailable' });

    await writeEntries(t.database.db, clock, [
      { actor: staffActor('civil_affairs', clock), entry: releasedRead(ALICE) },
    ]);
    const res = await residentRequest(t.app, await issuer.resident(ALICE), '/v1/me/access-log');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.checkpoint).toBeNull();
    expect(body.items).toEqual([
      expect.objectContaining({ leafIndex: null, inclusionProof: null, treeSize: null }),
    ]);
    expect(body.items[0].entry).toMatchObject({
      subjectId: ALICE,
      readerKind: 'staff',
      reader: 'clerk-civil_affairs',
      readerDepartment: 'civil_affairs',
      purpose: 'benefit_check',
      caseId: null,
      recordType: 'birth_record',
      recordVersion: 1,
      fields: ['childName', 'birthDate'],
      outcome: 'released',
      denialCode: null,
      occurredAt: clock().toISOString(),
    });
    const check = await checkLog({
      checkpoint: body.checkpoint,
      items: body.items,
      keys: await keyHistory(),
    });
    expect(check).toMatchObject({ ok: true, included: 0, pending: [body.items[0].entry.id] });
  });
});

describe('GET /v1/access-log and GET /v1/me/access-log', () => {
  beforeAll(async () => {
    const reads = [];
    for (let i = 0; i < 6; i++) {
      clock.advance(1000);
      reads.push(
        { actor: staffActor('civil_affairs', clock), entry: releasedRead(i % 2 ? ALICE : BOB) },
        {
          actor: clientActor('health', clock),
          entry: releasedRead(ALICE, { purpose: `case:c-${i}`, caseId: `c-${i}` }),
        },
      );
    }
    reads.push(
      { actor: staffActor('health', clock), entry: refusedRead(BOB, 'consent_required') },
      { actor: residentActor(ALICE, clock), entry: releasedRead(ALICE, { purpose: 'self' }) },
      { actor: staffActor('civil_affairs', clock), entry: refusedRead(null) },
    );
    // One entry at a time, each its own transaction, as reads happen.
    for (const read of reads) await writeEntries(t.database.db, clock, [read]);
    await sequence(t.app);
  });

  it('shows a department auditor their department’s reads, each proven against the signed head', async () => {
    const token = await issuer.auditor('civil_affairs');
    const { items, checkpoint } = await allPages((url) => get(token, url), '/v1/access-log');
    // The first (pending-era) read, six reads, and the refused read naming no record.
    expect(items).toHaveLength(8);
    expect(items.every((i) => i.entry.readerDepartment === 'civil_affairs')).toBe(true);
    expect(items.map((i) => i.entry.subjectId)).toContain(null);
    const head = await verified(checkpoint);
    for (const item of items) expect(await verifyEntry(item, head)).toEqual({ status: 'included' });
    // Newest first.
    const times = items.map((i) => i.entry.occurredAt);
    expect([...times].sort().reverse()).toEqual(times);
  });

  it('shows an auditor of another department none of these entries', async () => {
    const token = await issuer.auditor('market_regulation');
    const res = await get(token, '/v1/access-log');
    expect(res.statusCode).toBe(200);
    expect(res.json().items).toEqual([]);
    // And the health auditor sees only health's reads.
    const health = await allPages(
      async (url) => get(await issuer.auditor('health'), url),
      '/v1/access-log',
    );
    expect(health.items).toHaveLength(7);
    expect(health.items.every((i) => i.entry.readerDepartment === 'health')).toBe(true);
  });

  it('refuses staff without the access-log:read scope (403), residents (403) and anonymous callers (401)', async () => {
    const clerk = await issuer.staff('civil_affairs', { roles: ['case_officer'] });
    const noScope = await get(clerk, '/v1/access-log');
    expect(noScope.statusCode).toBe(403);
    expect(noScope.json()).toMatchObject({ code: 'forbidden' });
    const resident = await residentRequest(t.app, await issuer.resident(ALICE), '/v1/access-log');
    expect(resident.statusCode).toBe(403);
    expect((await get(undefined, '/v1/access-log')).statusCode).toBe(401);
  });

  it('shows a resident every read of their own data and every refusal, and nothing of others', async () => {
    const alice = await allPages(
      async (url) => residentRequest(t.app, await issuer.resident(ALICE), url),
      '/v1/me/access-log',
    );
    expect(alice.items.length).toBe(1 + 3 + 6 + 1);
    expect(alice.items.every((i) => i.entry.subjectId === ALICE)).toBe(true);
    const bob = await allPages(
      async (url) => residentRequest(t.app, await issuer.resident(BOB), url),
      '/v1/me/access-log',
    );
    expect(bob.items.map((i) => i.entry.outcome).sort()).toEqual([
      'denied',
      'released',
      'released',
      'released',
    ]);
    expect(bob.items.find((i) => i.entry.outcome === 'denied')?.entry.denialCode).toBe(
      'consent_required',
    );
    const check = await checkLog({
      checkpoint: alice.checkpoint,
      items: alice.items,
      keys: await keyHistory(),
    });
    expect(check).toMatchObject({ ok: true, included: alice.items.length, pending: [] });
    const stranger = await residentRequest(
      t.app,
      await issuer.resident('subject-carol'),
      '/v1/me/access-log',
    );
    expect(stranger.json().items).toEqual([]);
  });

  it('refuses staff on the resident’s route', async () => {
    const res = await get(await issuer.auditor('civil_affairs'), '/v1/me/access-log');
    expect(res.statusCode).toBe(403);
  });

  it('pages with a cursor and filters by time', async () => {
    const token = await issuer.auditor('health');
    const first = (await get(token, '/v1/access-log?limit=3')).json();
    expect(first.items).toHaveLength(3);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = (await get(token, `/v1/access-log?limit=3&cursor=${first.nextCursor}`)).json();
    const ids = [...first.items, ...second.items].map((i: AccessLogItem) => i.entry.id);
    expect(new Set(ids).size).toBe(6);

    const all = (await get(token, '/v1/access-log')).json().items as AccessLogItem[];
    const middle = all[3]?.entry.occurredAt as string;
    const since = (await get(token, `/v1/access-log?from=${middle}`)).json()
      .items as AccessLogItem[];
    expect(since.every((i) => i.entry.occurredAt >= middle)).toBe(true);
    const until = (await get(token, `/v1/access-log?to=${middle}`)).json().items as AccessLogItem[];
    expect(until.every((i) => i.entry.occurredAt < middle)).toBe(true);
    expect(since.length + until.length).toBe(all.length);
  });

  it('refuses a time window that ends before it starts, and a made-up cursor (400)', async () => {
    const token = await issuer.auditor('health');
    const backwards = await get(
      token,
      '/v1/access-log?from=2026-03-03T00:00:00Z&to=2026-03-02T00:00:00Z',
    );
    expect(backwards.statusCode).toBe(400);
    expect(backwards.json()).toMatchObject({ code: 'validation_failed' });
    for (const cursor of ['WyJ4Il0', Buffer.from('["not a date","x"]').toString('base64url')]) {
      const res = await get(token, `/v1/access-log?cursor=${cursor}`);
      expect(res.statusCode).toBe(400);
    }
    expect((await get(token, '/v1/access-log?from=yesterday')).statusCode).toBe(400);
  });
});

describe('the public side of the access log', () => {
  it('serves the latest head, the head of a size, and consistency proofs between heads', async () => {
    const latest = await t.app.inject({ method: 'GET', url: '/v1/access-log/checkpoints/latest' });
    expect(latest.statusCode).toBe(200);
    const older = latest.json();
    expect(older).toEqual({
      treeSize: 16,
      rootHash: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      jws: expect.any(String),
      createdAt: expect.any(String),
    });
    // The head verifies with the plain JWKS too, while its key is published there.
    const jwks = (
      await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })
    ).json() as JSONWebKeySet;
    expect((await verifyCheckpoint(older.jws, jwks)).ok).toBe(true);

    clock.advance(1000);
    await writeEntries(t.database.db, clock, [
      { actor: staffActor('health', clock), entry: releasedRead(BOB) },
      { actor: staffActor('health', clock), entry: releasedRead(BOB) },
    ]);
    expect(await sequence(t.app)).toMatchObject({ sequenced: 2, treeSize: 18, signed: 18 });
    const bySize = await t.app.inject({ method: 'GET', url: '/v1/access-log/checkpoints/16' });
    expect(bySize.json()).toEqual(older);
    expect(bySize.headers['cache-control']).toContain('immutable');

    const res = await t.app.inject({
      method: 'GET',
      url: '/v1/access-log/consistency?from=16&to=18',
    });
    expect(res.statusCode).toBe(200);
    const { proof } = res.json();
    const to = await verified(
      (await t.app.inject({ method: 'GET', url: '/v1/access-log/checkpoints/18' })).json().jws,
    );
    expect(await verifyConsistency(await verified(older.jws), to, proof)).toBe(true);
    // Every entry-free answer: no subject, reader or purpose anywhere in it.
    for (const body of [latest.body, bySize.body, res.body]) {
      expect(body).not.toMatch(/subject|reader|purpose/);
    }
  });

  it('answers tree_size_unavailable for sizes never signed and for sizes out of order', async () => {
    for (const url of [
      '/v1/access-log/checkpoints/17',
      '/v1/access-log/checkpoints/0',
      '/v1/access-log/consistency?from=18&to=16',
      '/v1/access-log/consistency?from=16&to=17',
      '/v1/access-log/consistency?from=3&to=18',
    ]) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.json(), url).toMatchObject({ code: 'tree_size_unavailable' });
    }
    const bad = await t.app.inject({ method: 'GET', url: '/v1/access-log/checkpoints/-1' });
    expect(bad.statusCode).toBe(400);
  });

  it('publishes every key it signed with, with the window it signed in', async () => {
    const history = await keyHistory();
    expect(history.keys).toHaveLength(1);
    expect(history.keys[0]).toMatchObject({
      jwk: { kty: 'OKP', crv: 'Ed25519' },
      signingUntil: null,
      withdrawnAt: null,
    });
    expect(history.keys[0]?.jwk).not.toHaveProperty('d');
  });
});
