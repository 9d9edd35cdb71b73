import {
  type AccessLogItem,
  checkLog,
  type FindingKind,
  type KeyHistory,
  leafHashOf,
} from '@tongban/access-log';
import type { Db } from '@tongban/db';
import { signingKeyHistory } from '@tongban/keys';
import { appendSubtrees } from '@tongban/merkle-log';
import { and, asc, eq, sql } from 'drizzle-orm';
import { CompactSign, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessLog, accessLogCheckpoints, accessLogNodes, signingKeys } from '../src/db/schema.js';
import {
  type AuditFinding,
  type AuditFindingKind,
  auditAccessLog,
} from '../src/domain/access-log/audit.js';
import { toAccessLogEntry } from '../src/domain/access-log/entry.js';
import { toKeyHistory } from '../src/domain/access-log/key-history.js';
import { KEY_OVERLAP_MS } from '../src/signing.js';
import {
  type AccessLogIssuer,
  accessLogIssuer,
  allPages,
  asDatabaseAdministrator,
  MANUAL_SEQUENCER,
  manualClock,
  refusedRead,
  releasedRead,
  residentRequest,
  sequence,
  staffActor,
  writeEntries,
} from './helpers/access-log.js';
import { startTestApp, type TestApp } from './helpers/app.js';

const ALICE = 'subject-alice';
const BOB = 'subject-bob';

async function audit(db: Db) {
  const keys = toKeyHistory(
    await signingKeyHistory({ db, table: signingKeys, overlapMs: KEY_OVERLAP_MS }),
  );
  return auditAccessLog({ db, keys, issuer: 'tb-records' });
}

describe('the append-only triggers, for a normal session', () => {
  const clock = manualClock();
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({}, { clock, accessLogSequencer: MANUAL_SEQUENCER });
    await writeEntries(t.database.db, clock, [
      { actor: staffActor('health', clock), entry: releasedRead(ALICE) },
      { actor: staffActor('health', clock), entry: releasedRead(ALICE) },
    ]);
    await sequence(t.app);
  });
  afterAll(() => t.close());

  const refused = (statement: ReturnType<typeof sql>) =>
    expect(t.database.db.execute(statement)).rejects.toThrow();

  it('refuse changing, re-sequencing, deleting or truncating entries', async () => {
    const db = t.database.db;
    await refused(sql`update ${accessLog} set purpose = 'edited'`);
    await refused(sql`update ${accessLog} set leaf_index = leaf_index + 10`);
    await refused(sql`update ${accessLog} set leaf_index = null`);
    await refused(sql`delete from ${accessLog}`);
    await refused(sql`truncate ${accessLog}`);
    const rows = await db.select().from(accessLog).orderBy(asc(accessLog.leafIndex));
    expect(rows.map((r) => [r.leafIndex, r.purpose])).toEqual([
      [0, 'benefit_check'],
      [1, 'benefit_check'],
    ]);
  });

  it('refuse changing, deleting or truncating tree nodes and checkpoints', async () => {
    for (const table of [accessLogNodes, accessLogCheckpoints]) {
      await refused(sql`delete from ${table}`);
      await refused(sql`truncate ${table}`);
    }
    await refused(sql`update ${accessLogNodes} set hash = '\\x00'::bytea`);
    await refused(sql`update ${accessLogCheckpoints} set jws = 'x'`);
    expect(await t.database.db.$count(accessLogNodes)).toBe(3);
    expect(await t.database.db.$count(accessLogCheckpoints)).toBe(1);
  });

  it('let only the sequencer’s one change through: an unsequenced entry’s leaf index, once', async () => {
    const [id] = await writeEntries(t.database.db, clock, [
      { actor: staffActor('health', clock), entry: refusedRead(BOB) },
    ]);
    await refused(sql`update ${accessLog} set leaf_index = 2, purpose = 'x' where id = ${id}`);
    await t.database.db.execute(sql`update ${accessLog} set leaf_index = 2 where id = ${id}`);
    await refused(sql`update ${accessLog} set leaf_index = 3 where id = ${id}`);
  });
});

/** What a resident's browser keeps between two looks at their log. */
interface ResidentView {
  readonly checkpoint: string | null;
  readonly items: AccessLogItem[];
}

/**
 * A log with reads of two residents by two departments over three sequencer runs, as the read
 * path writes them; tampered with by a database administrator in each test below.
 */
async function loggedCity() {
  const clock = manualClock();
  const issuer = await accessLogIssuer(clock);
  const t = await startTestApp(
    {},
    { clock, keyResolver: issuer.keyResolver, accessLogSequencer: MANUAL_SEQUENCER },
  );
  for (let run = 0; run < 3; run++) {
    for (let i = 0; i < 5; i++) {
      clock.advance(1000);
      await writeEntries(t.database.db, clock, [
        {
          actor: staffActor(i % 2 ? 'health' : 'civil_affairs', clock),
          entry: releasedRead(i % 3 ? ALICE : BOB),
        },
      ]);
    }
    await sequence(t.app);
  }
  return { t, clock, issuer };
}

async function residentView(
  t: TestApp,
  issuer: AccessLogIssuer,
  subject: string,
): Promise<ResidentView> {
  return allPages(
    async (url) => residentRequest(t.app, await issuer.resident(subject), url),
    '/v1/me/access-log',
  );
}

async function keysOf(t: TestApp): Promise<KeyHistory> {
  return (await t.app.inject({ method: 'GET', url: '/v1/access-log/keys' })).json();
}

/** The resident looks again, with what they saw before, as their browser would. */
async function lookAgain(t: TestApp, issuer: AccessLogIssuer, previous: ResidentView) {
  const now = await residentView(t, issuer, ALICE);
  const sizeOf = (jws: string | null) =>
    jws === null
      ? 0
      : (JSON.parse(Buffer.from(jws.split('.')[1] ?? '', 'base64url').toString())
          .tree_size as number);
  const from = sizeOf(previous.checkpoint);
  const to = sizeOf(now.checkpoint);
  const consistency =
    from < to
      ? (
          await t.app.inject({
            method: 'GET',
            url: `/v1/access-log/consistency?from=${from}&to=${to}`,
          })
        ).json().proof
      : undefined;
  return checkLog({
    checkpoint: now.checkpoint,
    items: now.items,
    keys: await keysOf(t),
    previous,
    ...(consistency ? { consistencyProof: consistency } : {}),
  });
}

/** Alice's entries in leaf order (she is the resident who checks). */
async function aliceLeaves(db: Db) {
  return db
    .select()
    .from(accessLog)
    .where(eq(accessLog.subjectId, ALICE))
    .orderBy(asc(accessLog.leafIndex));
}

const kindsFor = (
  check: { findings: readonly { kind: FindingKind; entryId?: string }[] },
  id: string,
) =>
  check.findings
    .filter((f) => f.entryId === id)
    .map((f) => f.kind)
    .sort();

describe('tampering with the access log', () => {
  let city: Awaited<ReturnType<typeof loggedCity>>;
  let before: ResidentView;
  beforeAll(async () => {
    city = await loggedCity();
    before = await residentView(city.t, city.issuer, ALICE);
  });
  afterAll(() => city.t.close());

  it('an untouched log verifies, for the audit and for the resident', async () => {
    const { t, issuer } = city;
    expect(await audit(t.database.db)).toMatchObject({
      ok: true,
      finding: null,
      entries: 15,
      checkpoints: 3,
      latestCheckpoint: 15,
      unsequenced: 0,
    });
    expect(before.items).toHaveLength(9);
    const check = await lookAgain(t, issuer, before);
    expect(check.findings).toEqual([]);
    expect(check).toMatchObject({ ok: true, included: 9 });
  });
});

/** Each tampering gets a log of its own: what an administrator does cannot be undone. */
describe.each<{
  name: string;
  tamper: (
    db: Db,
    alice: Awaited<ReturnType<typeof aliceLeaves>>,
  ) => Promise<{ ids: string[]; leaf: number }>;
  audit: AuditFindingKind;
  resident: (ids: string[]) => Record<string, FindingKind[]>;
  /** Findings about the log as a whole, not one entry. */
  whole?: FindingKind[];
}>([
  {
    name: 'deleting one entry',
    tamper: async (db, alice) => {
      const victim = alice[3] as (typeof alice)[number];
      await asDatabaseAdministrator(db, (tx) =>
        tx.delete(accessLog).where(eq(accessLog.id, victim.id)),
      );
      return { ids: [victim.id], leaf: victim.leafIndex as number };
    },
    audit: 'leaf_missing',
    resident: ([id]) => ({ [id as string]: ['entry_missing'] }),
  },
  {
    // Values the API never writes, too: the list must still show the altered entry.
    name: 'editing one entry',
    tamper: async (db, alice) => {
      const victim = alice[2] as (typeof alice)[number];
      await asDatabaseAdministrator(db, (tx) =>
        tx
          .update(accessLog)
          .set({ readerDepartment: 'market_regulation', readerKind: 'nobody', recordVersion: 0 })
          .where(eq(accessLog.id, victim.id)),
      );
      return { ids: [victim.id], leaf: victim.leafIndex as number };
    },
    audit: 'leaf_mismatch',
    resident: ([id]) => ({ [id as string]: ['entry_changed', 'not_included'] }),
  },
  {
    name: 'swapping two entries’ positions',
    tamper: async (db, alice) => {
      const a = alice[1] as (typeof alice)[number];
      const b = alice[6] as (typeof alice)[number];
      await asDatabaseAdministrator(db, async (tx) => {
        // Through a free index, as the unique index stays on.
        await tx.update(accessLog).set({ leafIndex: -1 }).where(eq(accessLog.id, a.id));
        await tx.update(accessLog).set({ leafIndex: a.leafIndex }).where(eq(accessLog.id, b.id));
        await tx.update(accessLog).set({ leafIndex: b.leafIndex }).where(eq(accessLog.id, a.id));
      });
      return { ids: [a.id, b.id], leaf: a.leafIndex as number };
    },
    audit: 'leaf_mismatch',
    resident: ([a, b]) => ({
      [a as string]: ['entry_moved', 'not_included'],
      [b as string]: ['entry_moved', 'not_included'],
    }),
  },
  {
    name: 'editing one entry and rewriting the stored tree to match it',
    tamper: async (db, alice) => {
      const victim = alice[4] as (typeof alice)[number];
      await asDatabaseAdministrator(db, async (tx) => {
        await tx
          .update(accessLog)
          .set({ fields: ['childName'] })
          .where(eq(accessLog.id, victim.id));
        // Every stored hash recomputed from the edited entries: only the signatures still differ.
        const rows = await tx.select().from(accessLog).orderBy(asc(accessLog.leafIndex));
        const leaves = await Promise.all(rows.map((row) => leafHashOf(toAccessLogEntry(row))));
        const { completed } = await appendSubtrees(0, [], leaves);
        await tx.delete(accessLogNodes);
        await tx.insert(accessLogNodes).values(completed.map((n) => ({ ...n })));
      });
      return { ids: [victim.id], leaf: victim.leafIndex as number };
    },
    audit: 'checkpoint_root_mismatch',
    // The next head signs the rewritten tree, so the edited entry's new proof holds; what gives
    // it away is the history: the new head does not extend the one the resident saw.
    resident: ([id]) => ({ [id as string]: ['entry_changed'] }),
    whole: ['consistency_failed'],
  },
  {
    name: 'deleting a stored subtree hash',
    tamper: async (db, alice) => {
      // Leaf 0 is Bob's; Alice's entry at leaf 1 needs its hash as the first step of her proof.
      const neighbour = alice[0] as (typeof alice)[number];
      expect(neighbour.leafIndex).toBe(1);
      await asDatabaseAdministrator(db, (tx) =>
        tx
          .delete(accessLogNodes)
          .where(and(eq(accessLogNodes.level, 0), eq(accessLogNodes.index, 0)))
          .then(),
      );
      return { ids: [neighbour.id], leaf: 0 };
    },
    audit: 'node_missing',
    // Listed without a proof although the signed tree covers it: the list does not fail.
    resident: ([id]) => ({ [id as string]: ['proof_missing'] }),
  },
])('$name', ({ tamper, audit: auditKind, resident, whole = [] }) => {
  let city: Awaited<ReturnType<typeof loggedCity>>;
  let before: ResidentView;
  let tampered: { ids: string[]; leaf: number };
  beforeAll(async () => {
    city = await loggedCity();
    before = await residentView(city.t, city.issuer, ALICE);
    tampered = await tamper(city.t.database.db, await aliceLeaves(city.t.database.db));
  });
  afterAll(() => city.t.close());

  it('is the first inconsistency the audit reports', async () => {
    const report = await audit(city.t.database.db);
    expect(report.ok).toBe(false);
    expect(report.finding?.kind).toBe(auditKind);
    if (auditKind === 'checkpoint_root_mismatch') {
      // The first head signed after the edited leaf.
      expect(report.finding?.treeSize).toBe(Math.ceil((tampered.leaf + 1) / 5) * 5);
    } else {
      expect(report.finding?.leafIndex).toBe(tampered.leaf);
    }
    expect(report.entries).toBeLessThanOrEqual(tampered.leaf + 5);
  });

  it('is what the resident’s check reports, entry by entry', async () => {
    const { t, issuer, clock } = city;
    // The log goes on: a new read is sequenced and signed after the tampering.
    clock.advance(1000);
    await writeEntries(t.database.db, clock, [
      { actor: staffActor('health', clock), entry: releasedRead(ALICE) },
    ]);
    await sequence(t.app);
    const check = await lookAgain(t, issuer, before);
    expect(check.ok).toBe(false);
    for (const [id, kinds] of Object.entries(resident(tampered.ids))) {
      expect(kindsFor(check, id), id).toEqual(kinds);
    }
    const aboutTheLog = check.findings.filter((f) => f.entryId === undefined).map((f) => f.kind);
    expect(aboutTheLog).toEqual(whole);
    // Nobody else's entries are reported.
    const named = new Set(check.findings.flatMap((f) => (f.entryId ? [f.entryId] : [])));
    expect([...named].sort()).toEqual([...tampered.ids].sort());
  });
});

describe('the audit, on each kind of damage', () => {
  let city: Awaited<ReturnType<typeof loggedCity>>;
  beforeAll(async () => {
    city = await loggedCity();
  });
  afterAll(() => city.t.close());

  /** Damages the log as an administrator, audits it, and puts it back as it was. */
  async function damaged(
    damage: (tx: Db) => Promise<void>,
    repair: (tx: Db) => Promise<void>,
  ): Promise<AuditFinding | null> {
    const db = city.t.database.db;
    await asDatabaseAdministrator(db, damage);
    const report = await audit(db);
    await asDatabaseAdministrator(db, repair);
    expect(await audit(db)).toMatchObject({ ok: true, entries: 15 });
    return report.finding;
  }

  it('names a changed subtree hash, a checkpoint row that differs from its head, a forged head', async () => {
    const node = { level: 1, index: 3 };
    const where = and(eq(accessLogNodes.level, node.level), eq(accessLogNodes.index, node.index));
    const [stored] = await city.t.database.db.select().from(accessLogNodes).where(where);
    expect(
      await damaged(
        (tx) =>
          tx
            .update(accessLogNodes)
            .set({ hash: new Uint8Array(32) })
            .where(where)
            .then(),
        (tx) => tx.update(accessLogNodes).set({ hash: stored?.hash }).where(where).then(),
      ),
    ).toMatchObject({ kind: 'node_mismatch', leafIndex: 7 });

    const head = eq(accessLogCheckpoints.treeSize, 10);
    const [checkpoint] = await city.t.database.db.select().from(accessLogCheckpoints).where(head);
    if (!checkpoint) throw new Error('no head of size 10');
    expect(
      await damaged(
        (tx) =>
          tx
            .update(accessLogCheckpoints)
            .set({ rootHash: new Uint8Array(32) })
            .where(head)
            .then(),
        (tx) =>
          tx.update(accessLogCheckpoints).set({ rootHash: checkpoint.rootHash }).where(head).then(),
      ),
    ).toMatchObject({ kind: 'checkpoint_row_mismatch', treeSize: 10 });

    // The same payload, signed by a key that is not records' under records' kid.
    const [header, payload] = checkpoint.jws.split('.');
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const forged = await new CompactSign(
      new TextEncoder().encode(Buffer.from(payload ?? '', 'base64url').toString()),
    )
      .setProtectedHeader(JSON.parse(Buffer.from(header ?? '', 'base64url').toString()))
      .sign(privateKey);
    expect(
      await damaged(
        (tx) => tx.update(accessLogCheckpoints).set({ jws: forged }).where(head).then(),
        (tx) => tx.update(accessLogCheckpoints).set({ jws: checkpoint.jws }).where(head).then(),
      ),
    ).toMatchObject({ kind: 'checkpoint_signature_invalid', treeSize: 10 });
  });

  it('names a head beyond the log, and a last entry deleted', async () => {
    const db = city.t.database.db;
    const [latest] = await db
      .select()
      .from(accessLogCheckpoints)
      .where(eq(accessLogCheckpoints.treeSize, 15));
    if (!latest) throw new Error('no head of size 15');
    expect(
      await damaged(
        (tx) =>
          tx
            .insert(accessLogCheckpoints)
            .values({ ...latest, treeSize: 99 })
            .then(),
        (tx) => tx.delete(accessLogCheckpoints).where(eq(accessLogCheckpoints.treeSize, 99)).then(),
      ),
    ).toMatchObject({ kind: 'checkpoint_beyond_log', treeSize: 99 });

    const [last] = await db.select().from(accessLog).where(eq(accessLog.leafIndex, 14));
    if (!last) throw new Error('no entry at leaf 14');
    expect(
      await damaged(
        (tx) => tx.delete(accessLog).where(eq(accessLog.id, last.id)).then(),
        (tx) => tx.insert(accessLog).values(last).then(),
      ),
    ).toMatchObject({ kind: 'leaf_missing', leafIndex: 14 });
  });
});
