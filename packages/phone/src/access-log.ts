import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  type AccessLogItem,
  type Checkpoint,
  checkLog,
  type Finding,
  type KeyHistory,
  type LogCheck,
  type PreviousView,
  verifyCheckpoint,
} from '@tongban/access-log';
import { createRecordsClient, type RecordsClient } from '@tongban/clients';
import { makeProof, type ProofKey } from './proof.js';
import {
  boundedFetch,
  normaliseUrl,
  PhoneError,
  type PhoneIo,
  reason,
  refused,
} from './support.js';

/** Records' own address in the demo; one of its default `RECORDS_PUBLIC_URLS`. */
export const DEFAULT_RECORDS_URL = 'http://127.0.0.1:3003';

const PAGE_LIMIT = 200;
/** 100 pages of 200: a resident's log is far smaller; a server that never stops paging is refused. */
const MAX_PAGES = 100;
/** The head can move between two pages; the listing is read again, at most this many times. */
const MAX_LISTINGS = 3;

/** What the phone holds to call records as the resident: a DPoP-bound token and its device key. */
export interface RecordsSession {
  /** Records' base URL as it knows itself (one of `RECORDS_PUBLIC_URLS`): every proof names it. */
  readonly recordsUrl: string;
  readonly key: ProofKey;
  readonly accessToken: string;
  /** `DPoP <token>`, as identity's token type says. */
  readonly authorization: string;
}

/** What the phone keeps of its last verified look at the log (`access-log.json`). */
export interface SeenLog {
  readonly version: 1;
  readonly subjectId: string | null;
  readonly recordsUrl: string;
  readonly savedAt: string;
  readonly checkpoint: string | null;
  readonly items: readonly AccessLogItem[];
}

export interface AccessLogInput {
  readonly session: RecordsSession;
  /** Where the last verified look is kept and read back (next to the device file). */
  readonly statePath: string;
  /** The device's subject: a file kept for another subject is not compared with this log. */
  readonly subjectId?: string;
}

export type EntryStatus = 'verified' | 'pending' | 'missing' | 'invalid';

export interface EntryReport {
  readonly item: AccessLogItem;
  readonly status: EntryStatus;
  readonly findings: readonly Finding[];
}

export interface AccessLogReport {
  readonly check: LogCheck;
  /** Every entry listed now, newest first, then every entry seen before that is gone. */
  readonly entries: readonly EntryReport[];
  /** Findings about the log as a whole (its head, its history), not one entry. */
  readonly logFindings: readonly Finding[];
  /** The earlier look compared with, if any. */
  readonly previous: { readonly savedAt: string; readonly treeSize: number | null } | null;
  /** Whether this look was kept for the next run (only a verified one is). */
  readonly saved: boolean;
}

/** `<device dir>/access-log.json`: the look at the log kept with the device it belongs to. */
export function accessLogFileFor(devicePath: string): string {
  return join(dirname(devicePath), 'access-log.json');
}

/**
 * The resident's check of who read their data: every page of `GET /v1/me/access-log`, records'
 * key history, and — when an earlier verified look is kept — the consistency proof between the
 * two heads, all through `checkLog`. A verified look replaces the kept one; a look with findings
 * does not, so an entry that vanished is reported on every run, not only the first.
 */
export async function checkMyAccessLog(
  input: AccessLogInput,
  io: PhoneIo,
): Promise<AccessLogReport> {
  const recordsUrl = normaliseUrl(input.session.recordsUrl, '--records');
  const session = { ...input.session, recordsUrl };
  const records = recordsClient(recordsUrl, io);

  const kept = await readSeenLog(input.statePath);
  const previous =
    kept !== null && (input.subjectId === undefined || kept.subjectId === input.subjectId)
      ? kept
      : null;

  const listing = await listMyAccessLog(records, session, io);
  const keys = await fetchKeys(records);

  let consistencyProof: readonly string[] | undefined;
  let previousSize: number | null = null;
  if (previous?.checkpoint && listing.checkpoint !== null) {
    const before = await verifyCheckpoint(previous.checkpoint, keys);
    const now = await verifyCheckpoint(listing.checkpoint, keys);
    if (before.ok) previousSize = before.checkpoint.treeSize;
    if (before.ok && now.ok && before.checkpoint.treeSize < now.checkpoint.treeSize) {
      consistencyProof = await fetchConsistency(
        records,
        before.checkpoint.treeSize,
        now.checkpoint.treeSize,
      );
    }
  }

  const previousView: PreviousView | undefined =
    previous === null ? undefined : { checkpoint: previous.checkpoint, items: previous.items };
  const check = await checkLog({
    checkpoint: listing.checkpoint,
    items: listing.items,
    keys,
    ...(previousView ? { previous: previousView } : {}),
    ...(consistencyProof ? { consistencyProof } : {}),
  });

  let saved = false;
  if (check.ok) {
    await writeSeenLog(input.statePath, {
      version: 1,
      subjectId: input.subjectId ?? null,
      recordsUrl,
      savedAt: io.now().toISOString(),
      checkpoint: listing.checkpoint,
      items: listing.items,
    });
    saved = true;
  }

  return {
    check,
    entries: entryReports(check, listing.items, previous?.items ?? []),
    logFindings: check.findings.filter((f) => f.entryId === undefined),
    previous: previous === null ? null : { savedAt: previous.savedAt, treeSize: previousSize },
    saved,
  };
}

function entryReports(
  check: LogCheck,
  items: readonly AccessLogItem[],
  seenBefore: readonly AccessLogItem[],
): EntryReport[] {
  const byEntry = new Map<string, Finding[]>();
  for (const finding of check.findings) {
    if (finding.entryId === undefined) continue;
    byEntry.set(finding.entryId, [...(byEntry.get(finding.entryId) ?? []), finding]);
  }
  const pending = new Set(check.pending);
  const listed = new Set(items.map((item) => item.entry.id));
  const status = (id: string): EntryStatus => {
    if ((byEntry.get(id) ?? []).length > 0) return 'invalid';
    // A head that does not verify proves no entry, pending or not.
    if (check.checkpoint === null && check.findings.some((f) => f.kind === 'checkpoint_invalid')) {
      return 'invalid';
    }
    return pending.has(id) ? 'pending' : 'verified';
  };
  return [
    ...items.map((item) => ({
      item,
      status: status(item.entry.id),
      findings: byEntry.get(item.entry.id) ?? [],
    })),
    // What the resident saw before and the log no longer shows: the evidence is the kept copy.
    ...seenBefore
      .filter((item) => !listed.has(item.entry.id))
      .map((item) => ({
        item,
        status: 'missing' as const,
        findings: byEntry.get(item.entry.id) ?? [],
      })),
  ];
}

function recordsClient(baseUrl: string, io: PhoneIo): RecordsClient {
  return createRecordsClient({
    baseUrl,
    fetch: boundedFetch(io, 'records', baseUrl),
  });
}

/**
 * Every page, under one head: each page carries the head it was read under, and a page read
 * after the sequencer moved on would carry proofs for another tree, so the listing starts over.
 */
async function listMyAccessLog(
  records: RecordsClient,
  s: RecordsSession,
  io: PhoneIo,
): Promise<{ checkpoint: string | null; items: AccessLogItem[] }> {
  const path = '/v1/me/access-log';
  for (let listing = 1; ; listing += 1) {
    const items: AccessLogItem[] = [];
    let checkpoint: string | null | undefined;
    let moved = false;
    let cursor: string | undefined;
    let pages = 0;
    do {
      pages += 1;
      if (pages > MAX_PAGES) {
        throw new PhoneError(
          `records listed more than ${MAX_PAGES * PAGE_LIMIT} entries; stopped reading`,
        );
      }
      const res = await records.GET(path, {
        params: { query: { limit: PAGE_LIMIT, ...(cursor === undefined ? {} : { cursor }) } },
        headers: {
          authorization: s.authorization,
          dpop: await makeProof(s.key, {
            method: 'GET',
            url: `${s.recordsUrl}${path}`,
            now: io.now(),
            accessToken: s.accessToken,
          }),
        },
      });
      if (!res.data) throw refused('records', 'the access log', res, '--records');
      if (checkpoint === undefined) checkpoint = res.data.checkpoint;
      else if (res.data.checkpoint !== checkpoint) moved = true;
      items.push(...res.data.items);
      cursor = res.data.nextCursor ?? undefined;
    } while (cursor !== undefined && !moved);
    if (!moved) return { checkpoint: checkpoint ?? null, items };
    if (listing >= MAX_LISTINGS) {
      throw new PhoneError(
        `the access log's head moved while it was read, ${MAX_LISTINGS} times; try again`,
      );
    }
  }
}

async function fetchKeys(records: RecordsClient): Promise<KeyHistory> {
  const res = await records.GET('/v1/access-log/keys');
  if (!res.data) throw refused('records', "the access log's key history", res, '--records');
  return res.data;
}

/** The proof that the tree of `to` extends the tree of `from`; none if records has no such head. */
async function fetchConsistency(
  records: RecordsClient,
  from: number,
  to: number,
): Promise<readonly string[] | undefined> {
  const res = await records.GET('/v1/access-log/consistency', {
    params: { query: { from, to } },
  });
  if (res.data) return res.data.proof;
  // A head the phone was shown and records no longer has: checkLog reports it unproven.
  if (res.response.status === 404) return undefined;
  throw refused('records', `the consistency proof from ${from} to ${to}`, res, '--records');
}

export async function readSeenLog(path: string): Promise<SeenLog | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    if ((cause as { code?: unknown }).code === 'ENOENT') return null;
    throw new PhoneError(`cannot read ${path}: ${reason(cause)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new PhoneError(`${path} is not JSON; move it away to start a new record of the log`);
  }
  if (!isSeenLog(value)) {
    throw new PhoneError(
      `${path} is not a kept access log; move it away to start a new record of the log`,
    );
  }
  return value;
}

async function writeSeenLog(path: string, seen: SeenLog): Promise<void> {
  // Written aside and renamed: a run cut short never leaves half a file as the evidence.
  const temporary = `${path}.${randomUUID()}.tmp`;
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await writeFile(temporary, `${JSON.stringify(seen, null, 2)}\n`, { mode: 0o600 });
    await rename(temporary, path);
  } catch (cause) {
    throw new PhoneError(`cannot keep the access log in ${path}: ${reason(cause)}`);
  }
}

function isSeenLog(value: unknown): value is SeenLog {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    v.version === 1 &&
    (v.checkpoint === null || typeof v.checkpoint === 'string') &&
    (v.subjectId === null || typeof v.subjectId === 'string') &&
    typeof v.savedAt === 'string' &&
    Array.isArray(v.items) &&
    v.items.every(
      (item: unknown) =>
        typeof item === 'object' &&
        item !== null &&
        typeof (item as { entry?: { id?: unknown } }).entry?.id === 'string',
    )
  );
}

/** One line per entry, then the verdict: what `tongban-phone reads` prints. */
export function formatAccessLog(report: AccessLogReport): string[] {
  const lines = report.entries.map(formatEntry);
  for (const finding of report.logFindings) lines.push(`  ${finding.kind}: ${finding.detail}`);
  lines.push(summaryLine(report));
  return lines;
}

function formatEntry({ item, status, findings }: EntryReport): string {
  const e = item.entry;
  const reader = e.readerDepartment ?? (e.readerKind === 'resident' ? 'you' : e.readerKind);
  const record =
    e.recordType === null
      ? 'no record'
      : `${e.recordType}${e.recordVersion === null ? '' : ` v${e.recordVersion}`}`;
  const outcome =
    e.outcome === 'released'
      ? `released ${e.fields.length === 0 ? '(no fields)' : e.fields.join(', ')}`
      : `refused ${e.denialCode ?? '(no code)'}`;
  const verdict =
    status === 'verified' || status === 'pending'
      ? status
      : findings.length > 0
        ? findings.map((f) => `${f.kind.toUpperCase()}: ${f.detail}`).join('; ')
        : status.toUpperCase();
  return [
    e.occurredAt,
    reader,
    `purpose ${e.purpose}`,
    `case ${e.caseId ?? '-'}`,
    record,
    outcome,
    verdict,
  ].join('  ');
}

function summaryLine(report: AccessLogReport): string {
  const { check } = report;
  const first = check.findings[0];
  if (!check.ok && first !== undefined) {
    const more = check.findings.length - 1;
    return `ACCESS LOG NOT VERIFIED — ${first.kind}: ${first.detail}${more > 0 ? ` (and ${more} more finding${more === 1 ? '' : 's'})` : ''}`;
  }
  const count = check.included + check.pending.length;
  const entries = `${count} entr${count === 1 ? 'y' : 'ies'}`;
  const pending = check.pending.length > 0 ? `, ${check.pending.length} pending` : '';
  if (check.checkpoint === null)
    return `ACCESS LOG VERIFIED — ${entries}${pending}, no signed head yet`;
  const head = check.checkpoint;
  const compared =
    report.previous === null ? '' : `; consistent with the log seen ${report.previous.savedAt}`;
  return `ACCESS LOG VERIFIED — ${entries}${pending}, tree size ${head.treeSize}, head signed ${head.issuedAt.toISOString()} by ${head.kid}${compared}`;
}

/** The structured result of `tongban-phone reads --json`. */
export function accessLogJson(report: AccessLogReport) {
  const head: Checkpoint | null = report.check.checkpoint;
  return {
    verified: report.check.ok,
    checkpoint:
      head === null
        ? null
        : {
            treeSize: head.treeSize,
            rootHash: Buffer.from(head.rootHash).toString('base64url'),
            issuer: head.issuer,
            issuedAt: head.issuedAt.toISOString(),
            kid: head.kid,
          },
    included: report.check.included,
    pending: report.check.pending,
    findings: report.check.findings,
    entries: report.entries.map(({ item, status, findings }) => ({
      ...item,
      status,
      findings,
    })),
    previous: report.previous,
    saved: report.saved,
  };
}
