/**
 * The demo phone's `tongban-phone reads` against this service: the part after sign-in (the
 * resident's DPoP-bound token and device key) runs as the phone runs it, over records' routes.
 * It lives here because a package never imports a service (biome: noRestrictedImports), and the
 * phone's records check needs a real records app with its sequencer under the test's hand.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { injectFetch } from '@tongban/clients/testing';
import {
  type AccessLogReport,
  accessLogJson,
  checkMyAccessLog,
  formatAccessLog,
  type ProofKey,
  readSeenLog,
} from '@tongban/phone';
import { testIssuer } from '@tongban/test-tokens';
import { eq } from 'drizzle-orm';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessLog } from '../src/db/schema.js';
import {
  asDatabaseAdministrator,
  clientActor,
  MANUAL_SEQUENCER,
  manualClock,
  refusedRead,
  releasedRead,
  sequence,
  staffActor,
  writeEntries,
} from './helpers/access-log.js';
import { PUBLIC_URL, startTestApp, type TestApp } from './helpers/app.js';

describe('tongban-phone reads (the phone checks the resident’s access log)', () => {
  const clock = manualClock();
  let t: TestApp;
  let issuer: Awaited<ReturnType<typeof testIssuer>>;
  let dir: string;

  beforeAll(async () => {
    issuer = await testIssuer(clock);
    t = await startTestApp(
      {},
      { keyResolver: issuer.keyResolver, clock, accessLogSequencer: MANUAL_SEQUENCER },
    );
    dir = await mkdtemp(join(tmpdir(), 'tb-phone-reads-'));
  });
  afterAll(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A resident's phone after sign-in: its device key and identity's token bound to it. */
  async function phoneOf(subject: string, recordsUrl = PUBLIC_URL) {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const publicJwk = await exportJWK(publicKey);
    const key: ProofKey = { alg: 'ES256', privateKey, publicJwk };
    const accessToken = await issuer.resident(subject, {
      jkt: await calculateJwkThumbprint(publicJwk),
    });
    const statePath = join(dir, subject, 'access-log.json');
    const io = {
      fetch: injectFetch(t.app),
      writeFile: async () => {},
      fileExists: async () => false,
      now: clock,
    };
    return {
      statePath,
      look: (): Promise<AccessLogReport> =>
        checkMyAccessLog(
          {
            session: { recordsUrl, key, accessToken, authorization: `DPoP ${accessToken}` },
            statePath,
            subjectId: subject,
          },
          io,
        ),
    };
  }

  const read = (subject: string, extra: Parameters<typeof releasedRead>[1] = {}) => ({
    actor: staffActor('health', clock),
    entry: releasedRead(subject, extra),
  });
  const refusal = (subject: string) => ({
    actor: clientActor('civil_affairs', clock),
    entry: refusedRead(subject, 'purpose_not_allowed'),
  });

  it('lists every read of the resident’s data and every refusal, each verified against the signed head', async () => {
    const subject = 'reads-listed';
    await writeEntries(t.database.db, clock, [read(subject), refusal(subject)]);
    clock.advance(1_000);
    await writeEntries(t.database.db, clock, [read('someone-else')]);
    await sequence(t.app);

    const phone = await phoneOf(subject);
    const report = await phone.look();
    expect(report.check).toMatchObject({ ok: true, included: 2, pending: [], findings: [] });
    expect(report.entries.map((e) => e.status)).toEqual(['verified', 'verified']);

    const lines = formatAccessLog(report);
    expect(lines).toHaveLength(3);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^\S+Z {2}civil_affairs {2}purpose curiosity {2}case - {2}no record {2}refused purpose_not_allowed {2}verified$/,
        ),
        expect.stringMatching(
          /^\S+Z {2}health {2}purpose benefit_check {2}case - {2}birth_record v1 {2}released childName, birthDate {2}verified$/,
        ),
      ]),
    );
    const head = report.check.checkpoint;
    expect(lines.at(-1)).toBe(
      `ACCESS LOG VERIFIED — 2 entries, tree size ${head?.treeSize}, head signed ${head?.issuedAt.toISOString()} by ${head?.kid}`,
    );
    // The look is kept for the next run, with exactly what records listed.
    expect(report.saved).toBe(true);
    const kept = await readSeenLog(phone.statePath);
    expect(kept?.items.map((i) => i.entry.id)).toEqual(report.entries.map((e) => e.item.entry.id));
    expect(accessLogJson(report)).toMatchObject({
      verified: true,
      checkpoint: { treeSize: head?.treeSize, issuer: 'tb-records' },
      entries: [{ status: 'verified' }, { status: 'verified' }],
    });
  });

  it('shows entries not sequenced yet as pending, and verifies them once they are', async () => {
    const subject = 'reads-pending';
    await writeEntries(t.database.db, clock, [read(subject)]);
    const phone = await phoneOf(subject);

    const before = await phone.look();
    expect(before.check.ok).toBe(true);
    expect(before.entries.map((e) => e.status)).toEqual(['pending']);
    expect(formatAccessLog(before).at(0)).toMatch(/ {2}pending$/);
    expect(formatAccessLog(before).at(-1)).toMatch(/^ACCESS LOG VERIFIED — 1 entry, 1 pending/);

    await sequence(t.app);
    const after = await phone.look();
    expect(after.check).toMatchObject({ ok: true, included: 1, pending: [] });
    expect(after.previous).not.toBeNull();
    expect(formatAccessLog(after).at(-1)).toMatch(/^ACCESS LOG VERIFIED — 1 entry, tree size \d+/);
  });

  it('reports an entry deleted in the database after the resident saw it, on every later run', async () => {
    const subject = 'reads-deleted';
    const [first, second, third] = await writeEntries(t.database.db, clock, [
      read(subject, { purpose: 'benefit_check' }),
      read(subject, { purpose: 'housing_check' }),
      refusal(subject),
    ]);
    await sequence(t.app);
    const phone = await phoneOf(subject);
    const seen = await phone.look();
    expect(seen.check.ok).toBe(true);
    expect(seen.check.included).toBe(3);

    // A database administrator switches off the append-only triggers and takes a read out.
    if (!second) throw new Error('no second entry');
    await asDatabaseAdministrator(t.database.db, (tx) =>
      tx.delete(accessLog).where(eq(accessLog.id, second)),
    );
    // The log goes on: the head the phone checks next is a newer one than it saw.
    await writeEntries(t.database.db, clock, [read(subject, { purpose: 'tax_check' })]);
    await sequence(t.app);

    const keptBefore = await readFile(phone.statePath, 'utf8');
    const report = await phone.look();
    expect(report.check.ok).toBe(false);
    expect(report.check.findings).toEqual([
      expect.objectContaining({ kind: 'entry_missing', entryId: second }),
    ]);
    // What is still listed verifies, and the tree still extends the one seen before.
    expect(report.check.included).toBe(3);
    expect(report.entries.find((e) => e.item.entry.id === second)?.status).toBe('missing');
    expect(report.entries.filter((e) => e.item.entry.id !== second).map((e) => e.status)).toEqual([
      'verified',
      'verified',
      'verified',
    ]);
    const lines = formatAccessLog(report);
    expect(lines).toContainEqual(
      expect.stringMatching(
        /purpose housing_check {2}.* {2}ENTRY_MISSING: entry .* was listed before and is gone$/,
      ),
    );
    expect(lines.at(-1)).toMatch(
      new RegExp(`^ACCESS LOG NOT VERIFIED — entry_missing: entry ${second} at leaf \\d+`),
    );
    expect(accessLogJson(report)).toMatchObject({ verified: false, saved: false });

    // The evidence is not overwritten by the tampered view: the next run says it again.
    expect(report.saved).toBe(false);
    expect(await readFile(phone.statePath, 'utf8')).toBe(keptBefore);
    const again = await phone.look();
    expect(again.check.findings.map((f) => [f.kind, f.entryId])).toEqual([
      ['entry_missing', second],
    ]);
    expect([first, third].every((id) => again.entries.some((e) => e.item.entry.id === id))).toBe(
      true,
    );
  });

  it('says which URL to use when records refuses the proof for naming another one', async () => {
    const phone = await phoneOf('reads-wrong-url', 'http://localhost:3003');
    await expect(phone.look()).rejects.toThrow(
      /^records refused the access log \(invalid_dpop_proof\).*RECORDS_PUBLIC_URLS/,
    );
  });
});
