import type { Db } from '@tongban/db';
import { type StoredSubtree, type SubtreeRef, toHex } from '@tongban/merkle-log';
import { and, asc, desc, eq, gt, gte, isNull, lt, sql } from 'drizzle-orm';
import { accessLog, accessLogCheckpoints, accessLogNodes } from '../schema.js';

export type AccessLogRow = typeof accessLog.$inferSelect;
export type CheckpointRow = typeof accessLogCheckpoints.$inferSelect;

// One name per service, so only one replica sequences at a time and other services' locks never
// collide with it.
const SEQUENCER_LOCK = 'tongban.records.access-log-sequencer';

/**
 * Takes the sequencer's lock for the rest of the transaction, or answers false at once when
 * another replica holds it (that replica is sequencing; this one has nothing to do).
 */
export async function trySequencerLock(tx: Db): Promise<boolean> {
  const result = await tx.execute(
    sql`select pg_try_advisory_xact_lock(hashtext(${SEQUENCER_LOCK})) as locked`,
  );
  return rowsOf<{ locked: boolean }>(result)[0]?.locked === true;
}

/** The number of leaves in the tree: one stored leaf hash (level 0) per sequenced entry. */
export async function treeSize(db: Db): Promise<number> {
  const [row] = await db
    .select({ last: sql<string | null>`max(${accessLogNodes.index})` })
    .from(accessLogNodes)
    .where(eq(accessLogNodes.level, 0));
  return row?.last == null ? 0 : Number(row.last) + 1;
}

/** The oldest entries without a leaf, in (occurred_at, id) order. */
export function unsequencedEntries(db: Db, limit: number): Promise<AccessLogRow[]> {
  return db
    .select()
    .from(accessLog)
    .where(isNull(accessLog.leafIndex))
    .orderBy(asc(accessLog.occurredAt), asc(accessLog.id))
    .limit(limit);
}

// Lists travel as array parameters (`unnest`), never as one placeholder per value: the statement
// stays the same few hundred bytes whatever the batch. (Embedded PostgreSQL, PGlite 0.5.16,
// answered no rows at all to a row-value IN list of some 280 pairs that PostgreSQL answered in
// full; the array form gives both engines the same plan.)

/** Gives `ids[i]` the leaf index `first + i`; only entries still without one. Returns how many. */
export async function assignLeafIndexes(db: Db, ids: readonly string[], first: number) {
  if (ids.length === 0) return 0;
  const indexes = ids.map((_, i) => first + i);
  const updated = await db.execute(sql`
    update ${accessLog} set leaf_index = v.leaf_index
    from unnest(${sql.param([...ids])}::text[], ${sql.param(indexes)}::bigint[]) as v(id, leaf_index)
    where ${accessLog.id} = v.id::uuid and ${accessLog.leafIndex} is null
    returning ${accessLog.id}`);
  return rowsOf(updated).length;
}

export async function insertNodes(db: Db, nodes: readonly StoredSubtree[]): Promise<void> {
  if (nodes.length === 0) return;
  await db.execute(sql`
    insert into ${accessLogNodes} (level, index, hash)
    select level, index, decode(hash, 'hex')
    from unnest(
      ${sql.param(nodes.map((n) => n.level))}::integer[],
      ${sql.param(nodes.map((n) => n.index))}::bigint[],
      ${sql.param(nodes.map((n) => toHex(n.hash)))}::text[]
    ) as n(level, index, hash)`);
}

/** The stored subtrees among `refs` (absent ones are simply not in the map): key `level:index`. */
export async function storedSubtrees(
  db: Db,
  refs: readonly SubtreeRef[],
): Promise<Map<string, Uint8Array>> {
  const found = new Map<string, Uint8Array>();
  if (refs.length === 0) return found;
  const rows = await db
    .select()
    .from(accessLogNodes)
    .where(
      sql`(${accessLogNodes.level}, ${accessLogNodes.index}) in (select * from unnest(${sql.param(
        refs.map((r) => r.level),
      )}::integer[], ${sql.param(refs.map((r) => r.index))}::bigint[]))`,
    );
  for (const row of rows) found.set(`${row.level}:${row.index}`, row.hash);
  return found;
}

export function latestCheckpoint(db: Db): Promise<CheckpointRow | undefined> {
  return db
    .select()
    .from(accessLogCheckpoints)
    .orderBy(desc(accessLogCheckpoints.treeSize))
    .limit(1)
    .then((rows) => rows[0]);
}

export function checkpointAt(db: Db, size: number): Promise<CheckpointRow | undefined> {
  return db
    .select()
    .from(accessLogCheckpoints)
    .where(eq(accessLogCheckpoints.treeSize, size))
    .then((rows) => rows[0]);
}

/** Checkpoints above a size, smallest first (the audit walks them in pages). */
export function checkpointsAfter(db: Db, size: number, limit: number): Promise<CheckpointRow[]> {
  return db
    .select()
    .from(accessLogCheckpoints)
    .where(gt(accessLogCheckpoints.treeSize, size))
    .orderBy(asc(accessLogCheckpoints.treeSize))
    .limit(limit);
}

/** A second replica may sign the same size at the same moment: the first row stands. */
export async function insertCheckpoint(db: Db, row: CheckpointRow): Promise<boolean> {
  const inserted = await db
    .insert(accessLogCheckpoints)
    .values(row)
    .onConflictDoNothing()
    .returning({ treeSize: accessLogCheckpoints.treeSize });
  return inserted.length > 0;
}

/** Whose entries a list may show: there is no unscoped listing of the log. */
export type EntryScope = { readonly department: string } | { readonly subjectId: string };

export interface ListEntriesFilter {
  readonly scope: EntryScope;
  readonly from?: Date | undefined;
  readonly to?: Date | undefined;
  /** The last (occurred_at, id) of the previous page: newest first. */
  readonly before?: { readonly occurredAt: Date; readonly id: string } | undefined;
  readonly limit: number;
}

export function listEntries(db: Db, filter: ListEntriesFilter): Promise<AccessLogRow[]> {
  const { scope, from, to, before } = filter;
  return db
    .select()
    .from(accessLog)
    .where(
      and(
        'department' in scope
          ? eq(accessLog.readerDepartment, scope.department)
          : eq(accessLog.subjectId, scope.subjectId),
        from === undefined ? undefined : gte(accessLog.occurredAt, from),
        to === undefined ? undefined : lt(accessLog.occurredAt, to),
        before === undefined
          ? undefined
          : sql`(${accessLog.occurredAt}, ${accessLog.id}) < (${before.occurredAt.toISOString()}::timestamptz, ${before.id}::uuid)`,
      ),
    )
    .orderBy(desc(accessLog.occurredAt), desc(accessLog.id))
    .limit(filter.limit);
}

/** Sequenced entries from a leaf index on, in leaf order (the audit). */
export function entriesFromLeaf(db: Db, leaf: number, limit: number): Promise<AccessLogRow[]> {
  return db
    .select()
    .from(accessLog)
    .where(gte(accessLog.leafIndex, leaf))
    .orderBy(asc(accessLog.leafIndex))
    .limit(limit);
}

export async function countUnsequenced(db: Db): Promise<number> {
  const [row] = await db
    .select({ n: sql<string>`count(*)` })
    .from(accessLog)
    .where(isNull(accessLog.leafIndex));
  return Number(row?.n ?? 0);
}

export async function countNodes(db: Db): Promise<number> {
  const [row] = await db.select({ n: sql<string>`count(*)` }).from(accessLogNodes);
  return Number(row?.n ?? 0);
}

// node-postgres answers `execute` with a result object, PGlite with one too; both carry `rows`.
function rowsOf<T>(result: unknown): T[] {
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}
