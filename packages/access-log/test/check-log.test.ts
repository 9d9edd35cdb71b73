import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AccessLogEntry, type AccessLogItem, checkLog } from '../src/index.js';
import { consistency, entries, jwksOf, type LogKey, makeKey, publish } from './helpers.js';

let key: LogKey;
beforeAll(async () => {
  key = await makeKey();
});

const kinds = (check: { findings: readonly { kind: string }[] }) =>
  [...new Set(check.findings.map((f) => f.kind))].sort();

describe('checkLog', () => {
  it('finds nothing wrong in an honest log, now and against any earlier view of it', async () => {
    await fc.assert(
      fc.asyncProperty(
        entries({ minLength: 1, maxLength: 20 }),
        fc.nat(),
        fc.nat(),
        async (all, a, b) => {
          const size = 1 + (a % all.length);
          const earlier = 1 + (b % size);
          const before = await publish(key, all.slice(0, earlier), earlier);
          const now = await publish(key, all, size);
          const check = await checkLog({
            checkpoint: now.checkpoint,
            items: now.items,
            keys: jwksOf(key),
            previous: { checkpoint: before.checkpoint, items: before.items },
            consistencyProof: await consistency(now.leaves, earlier, size),
          });
          expect(check.findings).toEqual([]);
          expect(check.ok).toBe(true);
          expect(check.included).toBe(size);
          expect(check.pending).toHaveLength(all.length - size);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('reports an entry deleted after it was seen, naming it', async () => {
    await fc.assert(
      fc.asyncProperty(entries({ minLength: 2, maxLength: 16 }), fc.nat(), async (all, pick) => {
        const before = await publish(key, all);
        const gone = all[pick % all.length] as AccessLogEntry;
        // The log rebuilt without it, as a database administrator who deleted the row would serve it.
        const now = await publish(
          key,
          all.filter((e) => e.id !== gone.id),
        );
        const check = await checkLog({
          checkpoint: now.checkpoint,
          items: now.items,
          keys: jwksOf(key),
          previous: { checkpoint: before.checkpoint, items: before.items },
        });
        expect(check.ok).toBe(false);
        expect(check.findings).toContainEqual(
          expect.objectContaining({ kind: 'entry_missing', entryId: gone.id }),
        );
        expect(kinds(check)).toContain('log_shrank');
      }),
      { numRuns: 20 },
    );
  });

  it('reports an entry edited in place: its proof fails, and it differs from what was seen', async () => {
    await fc.assert(
      fc.asyncProperty(entries({ minLength: 1, maxLength: 16 }), fc.nat(), async (all, pick) => {
        const log = await publish(key, all);
        const i = pick % all.length;
        // The stored tree is untouched; only the row changed (the reader's department here).
        const items: AccessLogItem[] = log.items.map((item, j) =>
          j === i
            ? { ...item, entry: { ...item.entry, readerDepartment: 'somewhere_else' } }
            : item,
        );
        const edited = (log.items[i] as AccessLogItem).entry.id;
        const alone = await checkLog({ checkpoint: log.checkpoint, items, keys: jwksOf(key) });
        expect(alone.findings).toEqual([
          expect.objectContaining({ kind: 'not_included', entryId: edited, leafIndex: i }),
        ]);
        const withHistory = await checkLog({
          checkpoint: log.checkpoint,
          items,
          keys: jwksOf(key),
          previous: { checkpoint: log.checkpoint, items: log.items },
        });
        expect(kinds(withHistory)).toEqual(['entry_changed', 'not_included']);
      }),
      { numRuns: 20 },
    );
  });

  it('reports two entries swapped in position', async () => {
    await fc.assert(
      fc.asyncProperty(
        entries({ minLength: 2, maxLength: 16 }),
        fc.nat(),
        fc.nat(),
        async (all, x, y) => {
          const log = await publish(key, all);
          const i = x % all.length;
          const j = (i + 1 + (y % (all.length - 1))) % all.length;
          const items = log.items.map((item, k) => {
            const other = log.items[k === i ? j : k === j ? i : k] as AccessLogItem;
            return { ...item, leafIndex: other.leafIndex };
          });
          const check = await checkLog({
            checkpoint: log.checkpoint,
            items,
            keys: jwksOf(key),
            previous: { checkpoint: log.checkpoint, items: log.items },
          });
          const ids = [i, j].map((k) => (log.items[k] as AccessLogItem).entry.id).sort();
          const byKind = (kind: string) =>
            check.findings
              .filter((f) => f.kind === kind)
              .map((f) => f.entryId)
              .sort();
          expect(byKind('not_included')).toEqual(ids);
          expect(byKind('entry_moved')).toEqual(ids);
        },
      ),
      { numRuns: 20 },
    );
  });

  it('reports a rewritten history, a missing consistency proof and a forged head', async () => {
    const all = fc.sample(entries({ minLength: 6, maxLength: 6 }), 1)[0] as AccessLogEntry[];
    const before = await publish(key, all.slice(0, 4));
    const rewritten = [all[1], all[0], ...all.slice(2)] as AccessLogEntry[];
    const now = await publish(key, rewritten);
    const previous = { checkpoint: before.checkpoint, items: [] };
    const forged = await checkLog({
      checkpoint: now.checkpoint,
      items: [],
      keys: jwksOf(key),
      previous,
      consistencyProof: await consistency(now.leaves, 4, 6),
    });
    expect(kinds(forged)).toEqual(['consistency_failed']);
    const unproven = await checkLog({
      checkpoint: now.checkpoint,
      items: [],
      keys: jwksOf(key),
      previous,
    });
    expect(kinds(unproven)).toEqual(['consistency_unproven']);
    const stranger = await makeKey();
    const byStranger = await publish(stranger, all);
    const untrusted = await checkLog({
      checkpoint: byStranger.checkpoint,
      items: byStranger.items,
      keys: jwksOf(key),
    });
    expect(untrusted.ok).toBe(false);
    expect(untrusted.findings).toEqual([
      expect.objectContaining({
        kind: 'checkpoint_invalid',
        detail: expect.stringMatching(/^unknown_key/),
      }),
    ]);
    expect(untrusted.included).toBe(0);
  });

  it('treats entries before the first head as pending, and a proof without a head as a finding', async () => {
    const all = fc.sample(entries({ minLength: 3, maxLength: 3 }), 1)[0] as AccessLogEntry[];
    const pendingItems = all.map((entry) => ({
      entry,
      leafIndex: null,
      inclusionProof: null,
      treeSize: null,
    }));
    const first = await checkLog({ checkpoint: null, items: pendingItems, keys: jwksOf(key) });
    expect(first).toMatchObject({ ok: true, included: 0, pending: all.map((e) => e.id) });
    const log = await publish(key, all);
    const phantom = await checkLog({ checkpoint: null, items: log.items, keys: jwksOf(key) });
    expect(kinds(phantom)).toEqual(['tree_size_mismatch']);
    const vanished = await checkLog({
      checkpoint: null,
      items: [],
      keys: jwksOf(key),
      previous: { checkpoint: log.checkpoint, items: log.items },
    });
    expect(kinds(vanished)).toEqual(['entry_missing', 'log_shrank']);
  });

  it('reports two entries claiming one position', async () => {
    const all = fc.sample(entries({ minLength: 3, maxLength: 3 }), 1)[0] as AccessLogEntry[];
    const log = await publish(key, all);
    const [a, b, c] = log.items as [AccessLogItem, AccessLogItem, AccessLogItem];
    const check = await checkLog({
      checkpoint: log.checkpoint,
      items: [a, { ...b, leafIndex: 0 }, c],
      keys: jwksOf(key),
    });
    expect(kinds(check)).toEqual(['index_reused', 'not_included']);
  });
});
