import {
  type AccessLogItem,
  type Checkpoint,
  type KeyHistory,
  verifyCheckpoint,
  verifyConsistency,
  verifyEntry,
} from '@tongban/access-log';
import fc from 'fast-check';
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
  sequence,
  staffActor,
  staffRequest,
  writeEntries,
} from './helpers/access-log.js';
import { startTestApp, type TestApp } from './helpers/app.js';

// A small batch size, so one sequencer run spans several transactions and the tree's right edge
// takes every shape; the entries stay within a few hundred for a two-core machine.
const BATCH_SIZE = 7;

describe('inclusion and consistency proofs served over HTTP', () => {
  const clock = manualClock();
  let t: TestApp;
  let issuer: AccessLogIssuer;
  beforeAll(async () => {
    issuer = await accessLogIssuer(clock);
    t = await startTestApp(
      { ACCESS_LOG_BATCH_SIZE: String(BATCH_SIZE) },
      { clock, keyResolver: issuer.keyResolver, accessLogSequencer: MANUAL_SEQUENCER },
    );
  });
  afterAll(() => t.close());

  const publicGet = async (url: string) => {
    const res = await t.app.inject({ method: 'GET', url });
    expect(res.statusCode, url).toBe(200);
    return res.json();
  };
  const keys = (): Promise<KeyHistory> => publicGet('/v1/access-log/keys');
  const checkpointAt = async (size: number): Promise<Checkpoint> => {
    const { jws } = await publicGet(`/v1/access-log/checkpoints/${size}`);
    const verdict = await verifyCheckpoint(jws, await keys());
    if (!verdict.ok) throw new Error(`head ${size}: ${verdict.problem}`);
    expect(verdict.checkpoint.treeSize).toBe(size);
    return verdict.checkpoint;
  };

  // The department whose auditor lists everything the test writes.
  const DEPT = 'civil_affairs';
  const signed: number[] = [];
  let written = 0;

  it('verify with @tongban/access-log for every entry and every pair of signed sizes', async () => {
    const read = fc.oneof(
      fc.constant('staff' as const),
      fc.constant('client' as const),
      fc.constant('refusal' as const),
    );
    await fc.assert(
      fc.asyncProperty(
        // Appends in batches of random size, a sequencer run after some of them.
        fc.array(
          fc.record({ reads: fc.array(read, { minLength: 1, maxLength: 20 }), run: fc.boolean() }),
          { minLength: 1, maxLength: 5 },
        ),
        async (appends) => {
          for (const { reads, run } of appends) {
            clock.advance(1000);
            await writeEntries(
              t.database.db,
              clock,
              reads.map((kind, i) => ({
                actor: kind === 'client' ? clientActor(DEPT, clock) : staffActor(DEPT, clock),
                entry:
                  kind === 'refusal'
                    ? refusedRead(i % 2 ? `subject-${i}` : null)
                    : releasedRead(`subject-${i % 5}`),
              })),
            );
            written += reads.length;
            if (run) {
              // A run takes at most ten batches: run until the backlog is gone.
              for (let r = await sequence(t.app); ; r = await sequence(t.app)) {
                if (!r.skipped && r.signed !== null) signed.push(r.signed);
                if (!r.skipped && r.treeSize === written) break;
              }
            }
          }

          // Every entry the auditor lists is proven against the head listed with it, or pending
          // exactly when it was written after the last run.
          const token = await issuer.auditor(DEPT);
          const { items, checkpoint } = await allPages(
            (url) => staffRequest(t.app, token, url),
            '/v1/access-log',
          );
          expect(items).toHaveLength(written);
          const latest = signed.at(-1);
          if (latest === undefined) {
            expect(checkpoint).toBeNull();
            return;
          }
          const head = await checkpointAt(latest);
          expect(checkpoint).toBe(head.jws);
          const seen = new Set<number>();
          for (const item of items as AccessLogItem[]) {
            const verdict = await verifyEntry(item, head);
            if (item.leafIndex !== null && item.leafIndex < latest) {
              expect(verdict).toEqual({ status: 'included' });
              seen.add(item.leafIndex);
            } else {
              expect(verdict).toEqual({ status: 'pending' });
            }
          }
          // Every leaf below the head is listed exactly once.
          expect(seen.size).toBe(latest);

          // The newest head extends every head signed before it.
          for (const size of signed) {
            const { proof, from, to } = await publicGet(
              `/v1/access-log/consistency?from=${size}&to=${latest}`,
            );
            expect([from, to]).toEqual([size, latest]);
            expect(await verifyConsistency(await checkpointAt(size), head, proof)).toBe(true);
          }
        },
      ),
      { numRuns: 10, endOnFailure: true },
    );
    // And, at the end, every pair of signed sizes.
    const heads = await Promise.all(signed.map(checkpointAt));
    for (const [i, older] of heads.entries()) {
      for (const newer of heads.slice(i)) {
        const { proof } = await publicGet(
          `/v1/access-log/consistency?from=${older.treeSize}&to=${newer.treeSize}`,
        );
        expect(await verifyConsistency(older, newer, proof)).toBe(true);
        if (older.treeSize < newer.treeSize) {
          // The proof binds the pair: it does not carry the newer head back to the older one.
          expect(await verifyConsistency(newer, older, proof)).toBe(false);
        }
      }
    }
    expect(written).toBeLessThanOrEqual(10 * 5 * 20);
  }, 240_000);
});
