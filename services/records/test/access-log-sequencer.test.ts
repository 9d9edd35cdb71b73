import { randomBytes } from 'node:crypto';
import { verifyCheckpoint } from '@tongban/access-log';
import type { Db } from '@tongban/db';
import { signingKeyHistory } from '@tongban/keys';
import type { ServiceInstance } from '@tongban/service-kit';
import { withTransaction } from '@tongban/service-kit';
import { parsePrometheus } from '@tongban/testing';
import { asc, isNotNull, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRecords } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { accessLog, accessLogCheckpoints, accessLogNodes, signingKeys } from '../src/db/schema.js';
import { appendAccessEntry } from '../src/domain/access-log/append-entry.js';
import { auditAccessLog } from '../src/domain/access-log/audit.js';
import { toKeyHistory } from '../src/domain/access-log/key-history.js';
import { KEY_OVERLAP_MS } from '../src/signing.js';
import {
  accessLogIssuer,
  clientActor,
  MANUAL_SEQUENCER,
  manualClock,
  releasedRead,
  sequence,
  staffActor,
  writeEntries,
} from './helpers/access-log.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { type SharedDatabase, sharedDatabase } from './helpers/shared-database.js';

async function leafOrder(db: Db) {
  return db
    .select({ id: accessLog.id, leafIndex: accessLog.leafIndex, occurredAt: accessLog.occurredAt })
    .from(accessLog)
    .where(isNotNull(accessLog.leafIndex))
    .orderBy(asc(accessLog.leafIndex));
}

async function checkpointSizes(db: Db): Promise<number[]> {
  const rows = await db
    .select({ treeSize: accessLogCheckpoints.treeSize })
    .from(accessLogCheckpoints)
    .orderBy(asc(accessLogCheckpoints.treeSize));
  return rows.map((r) => r.treeSize);
}

async function keyHistoryOf(db: Db) {
  return toKeyHistory(
    await signingKeyHistory({ db, table: signingKeys, overlapMs: KEY_OVERLAP_MS }),
  );
}

async function audit(db: Db) {
  return auditAccessLog({ db, keys: await keyHistoryOf(db), issuer: 'tb-records' });
}

describe('the access-log sequencer', () => {
  const clock = manualClock();
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({}, { clock, accessLogSequencer: MANUAL_SEQUENCER });
  });
  afterAll(() => t.close());

  const clerk = () => staffActor('civil_affairs', clock);

  it('signs nothing while the log is empty', async () => {
    expect(await sequence(t.app)).toEqual({
      skipped: false,
      sequenced: 0,
      treeSize: 0,
      signed: null,
    });
    expect(await checkpointSizes(t.database.db)).toEqual([]);
  });

  it('gives entries consecutive leaves in (occurred_at, id) order and signs a head after them', async () => {
    // Written in one order, stamped in another: the leaves follow the stamps.
    const stamps = [5, 1, 4, 2, 3];
    const start = clock().getTime();
    for (const s of stamps) {
      clock.advance(start + s * 1000 - clock().getTime());
      await writeEntries(t.database.db, clock, [{ actor: clerk(), entry: releasedRead('s') }]);
    }
    expect(await sequence(t.app)).toEqual({ skipped: false, sequenced: 5, treeSize: 5, signed: 5 });
    const rows = await leafOrder(t.database.db);
    expect(rows.map((r) => r.leafIndex)).toEqual([0, 1, 2, 3, 4]);
    expect(rows.map((r) => r.occurredAt.getTime() - start)).toEqual([1000, 2000, 3000, 4000, 5000]);
    expect(await checkpointSizes(t.database.db)).toEqual([5]);
  });

  it('signs no new head when nothing changed', async () => {
    expect(await sequence(t.app)).toEqual({
      skipped: false,
      sequenced: 0,
      treeSize: 5,
      signed: null,
    });
    expect(await sequence(t.app)).toMatchObject({ signed: null });
    expect(await checkpointSizes(t.database.db)).toEqual([5]);
  });

  it('gives an entry committed late with an earlier occurred_at the next leaf, never an earlier one', async () => {
    const latest = (await leafOrder(t.database.db)).at(-1);
    // Stamped before everything sequenced so far, as a transaction that committed late would be.
    clock.advance(-60_000);
    const [late] = await writeEntries(t.database.db, clock, [
      { actor: clerk(), entry: releasedRead('s') },
    ]);
    clock.advance(120_000);
    expect(await sequence(t.app)).toMatchObject({ sequenced: 1, treeSize: 6, signed: 6 });
    const rows = await leafOrder(t.database.db);
    expect(rows.at(-1)).toMatchObject({ id: late, leafIndex: 5 });
    expect(rows[4]?.id).toBe(latest?.id);
    expect(rows.at(-1)?.occurredAt.getTime()).toBeLessThan(rows[0]?.occurredAt.getTime() ?? 0);
    expect(await audit(t.database.db)).toMatchObject({ ok: true, entries: 6, checkpoints: 2 });
  });

  it('reports its backlog and the age of the latest head in /metrics', async () => {
    await writeEntries(t.database.db, clock, [{ actor: clerk(), entry: releasedRead('s') }]);
    clock.advance(7000);
    const metrics = parsePrometheus((await t.app.inject({ method: 'GET', url: '/metrics' })).body);
    expect(metrics.get('tongban_access_log_unsequenced_entries')?.metrics[0]?.value).toBe('1');
    expect(
      Number(metrics.get('tongban_access_log_checkpoint_age_seconds')?.metrics[0]?.value),
    ).toBe(7);
    await sequence(t.app);
  });
});

describe('the access-log sequencer, in batches', () => {
  const clock = manualClock();
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(
      { ACCESS_LOG_BATCH_SIZE: '3' },
      { clock, accessLogSequencer: MANUAL_SEQUENCER },
    );
  });
  afterAll(() => t.close());

  it('takes up to ten batches a run and signs once per run, whatever the backlog', async () => {
    const reads = Array.from({ length: 40 }, (_, i) => ({
      actor: staffActor('health', clock),
      entry: releasedRead(`subject-${i % 3}`),
    }));
    await writeEntries(t.database.db, clock, reads);
    expect(await sequence(t.app)).toMatchObject({ sequenced: 30, treeSize: 30, signed: 30 });
    expect(await sequence(t.app)).toMatchObject({ sequenced: 10, treeSize: 40, signed: 40 });
    expect(await checkpointSizes(t.database.db)).toEqual([30, 40]);
    // Every perfect subtree of 40 leaves is stored once: 40 + 20 + 10 + 5 + 2 + 1.
    expect(await t.database.db.$count(accessLogNodes)).toBe(78);
    expect(await audit(t.database.db)).toMatchObject({ ok: true, entries: 40, nodes: 78 });
  });
});

describe('the access-log sequencer, with its default batch of 1000', () => {
  const clock = manualClock();
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({}, { clock, accessLogSequencer: MANUAL_SEQUENCER });
  });
  afterAll(() => t.close());

  it('sequences full batches: every leaf, every subtree, one head', async () => {
    // Written in one transaction to keep the test quick; the sequencer cannot tell.
    const actor = clientActor('social_security', clock);
    await withTransaction({ db: t.database.db, actor, requestId: 'bulk', clock }, async (ctx) => {
      for (let i = 0; i < 1300; i++)
        await appendAccessEntry(ctx, releasedRead(`subject-${i % 50}`));
    });
    expect(await sequence(t.app)).toEqual({
      skipped: false,
      sequenced: 1300,
      treeSize: 1300,
      signed: 1300,
    });
    expect((await leafOrder(t.database.db)).map((r) => r.leafIndex)).toEqual(
      Array.from({ length: 1300 }, (_, i) => i),
    );
    // 1300 + 650 + 325 + 162 + 81 + 40 + 20 + 10 + 5 + 2 + 1 perfect subtrees.
    expect(await t.database.db.$count(accessLogNodes)).toBe(2596);
    expect(await audit(t.database.db)).toMatchObject({ ok: true, entries: 1300, nodes: 2596 });
  });
});

describe('two replicas sequencing one database', () => {
  const clock = manualClock();
  let shared: SharedDatabase;
  const apps: ServiceInstance[] = [];
  let db: Db;

  beforeAll(async () => {
    shared = await sharedDatabase();
    const masterKey = randomBytes(32);
    const issuer = await accessLogIssuer(clock);
    // The interval is short on purpose here: the replicas' own schedules race the test's runs.
    const config = loadConfig(
      { NODE_ENV: 'test', LOG_LEVEL: 'silent', ACCESS_LOG_BATCH_SIZE: '4' },
      process.cwd(),
    );
    for (let i = 0; i < 2; i++) {
      const database = await shared.open();
      const { app } = await buildRecords({
        config,
        database,
        masterKey,
        clock,
        keyResolver: issuer.keyResolver,
        webhookWorker: false,
        accessLogSequencer: { intervalMs: 50 },
      });
      apps.push(app);
    }
    db = (await shared.open()).db;
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await shared.close();
  });

  it('never give one leaf twice or leave a gap, and sign only heads that verify', async () => {
    const [one, two] = apps as [ServiceInstance, ServiceInstance];
    for (let round = 0; round < 8; round++) {
      const writes = writeEntries(
        db,
        clock,
        Array.from({ length: 3 + round }, () => ({
          actor: staffActor('civil_affairs', clock),
          entry: releasedRead(`subject-${round}`),
        })),
      );
      await Promise.all([writes, sequence(one), sequence(two), sequence(one), sequence(two)]);
    }
    // Whatever the interleaving, a last run of each drains the backlog.
    await sequence(one);
    await sequence(two);
    const rows = await leafOrder(db);
    const total = Array.from({ length: 8 }, (_, r) => 3 + r).reduce((a, b) => a + b);
    expect(rows.map((r) => r.leafIndex)).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(new Set(rows.map((r) => r.id)).size).toBe(total);
    const report = await audit(db);
    expect(report).toMatchObject({
      ok: true,
      entries: total,
      unsequenced: 0,
      latestCheckpoint: total,
    });
  });

  it('skip while another replica holds the sequencer’s lock', async () => {
    const [one, two] = apps as [ServiceInstance, ServiceInstance];
    await writeEntries(db, clock, [
      { actor: staffActor('health', clock), entry: releasedRead('x') },
    ]);
    if (shared.test.kind === 'postgres') {
      // Another replica's sequencing transaction, held open on a connection of its own.
      const other = await shared.open();
      let release: () => void = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let locked: () => void = () => {};
      const isLocked = new Promise<void>((resolve) => {
        locked = resolve;
      });
      const holder = other.db.transaction(async (tx) => {
        await tx.execute(
          sql`select pg_advisory_xact_lock(hashtext('tongban.records.access-log-sequencer'))`,
        );
        locked();
        await held;
      });
      await isLocked;
      expect(await sequence(one)).toEqual({ skipped: true });
      release();
      await holder;
    } else {
      // Embedded PostgreSQL is one connection: its transactions run one after another, so runs
      // at once never overlap or skip — a later one finds the earlier one's work done.
      const runs = await Promise.all([sequence(one), sequence(two), sequence(one)]);
      expect(runs.every((r) => !r.skipped)).toBe(true);
      expect(
        runs.reduce((n, r) => n + ('sequenced' in r ? r.sequenced : 0), 0),
      ).toBeLessThanOrEqual(1);
    }
    expect(await sequence(one)).toMatchObject({ skipped: false });
    expect(await audit(db)).toMatchObject({ ok: true, unsequenced: 0 });
  });
});

describe('heads after their key rotated out of the JWKS', () => {
  const clock = manualClock();
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({}, { clock, accessLogSequencer: MANUAL_SEQUENCER });
  });
  afterAll(() => t.close());

  const head = async (size: number) =>
    (await t.app.inject({ method: 'GET', url: `/v1/access-log/checkpoints/${size}` })).json()
      .jws as string;
  const jwks = async () =>
    (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json();
  const history = async () =>
    (await t.app.inject({ method: 'GET', url: '/v1/access-log/keys' })).json();

  it('still verify with the key history, and the audit holds', async () => {
    const clerk = staffActor('health', clock);
    await writeEntries(t.database.db, clock, [{ actor: clerk, entry: releasedRead('s-1') }]);
    await sequence(t.app);
    const first = await head(1);

    clock.advance(3_600_000);
    await t.keys.rotate();
    // Past the overlap: the first key has left the JWKS, and the head's exp has passed.
    clock.advance(KEY_OVERLAP_MS + 60_000);
    await writeEntries(t.database.db, clock, [{ actor: clerk, entry: releasedRead('s-1') }]);
    await sequence(t.app);
    const second = await head(2);

    expect(await verifyCheckpoint(first, await jwks())).toMatchObject({
      ok: false,
      problem: 'unknown_key',
    });
    const keys = await history();
    expect(keys.keys).toHaveLength(2);
    const old = await verifyCheckpoint(first, keys);
    const now = await verifyCheckpoint(second, keys);
    expect(old.ok && now.ok).toBe(true);
    expect(old.ok && now.ok && old.checkpoint.kid !== now.checkpoint.kid).toBe(true);

    expect(await audit(t.database.db)).toMatchObject({
      ok: true,
      checkpoints: 2,
      signedByWithdrawnKeys: 0,
    });
  });

  it('from a withdrawn key prove nothing, while the audit still checks their roots', async () => {
    const keys = await history();
    const current = keys.keys.at(-1)?.kid as string;
    await t.keys.revoke(current);
    const verdict = await verifyCheckpoint(await head(2), await history());
    expect(verdict).toMatchObject({ ok: false, problem: 'key_withdrawn' });
    expect(await audit(t.database.db)).toMatchObject({
      ok: true,
      checkpoints: 2,
      signedByWithdrawnKeys: 1,
    });
    // The next head is signed by the replacement key and verifies.
    await writeEntries(t.database.db, clock, [
      { actor: staffActor('health', clock), entry: releasedRead('s-1') },
    ]);
    await sequence(t.app);
    expect((await verifyCheckpoint(await head(3), await history())).ok).toBe(true);
  });
});
