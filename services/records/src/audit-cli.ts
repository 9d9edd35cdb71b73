/**
 * The access-log audit: recompute the whole Merkle tree from records' entries and hold it
 * against the stored subtrees, the signed heads and records' key history.
 *
 *   pnpm access-log:audit [--keys <file | URL of GET /v1/access-log/keys>] [--issuer <iss>] [--json]
 *
 * The database is found as the service finds it: RECORDS_DATABASE_URL, else DATABASE_URL, else
 * the embedded data folder <TONGBAN_DATA_DIR or .data>/records (stop records first: an embedded
 * database has one user at a time). Keys come from the database unless --keys names the history
 * the service published (an auditor who does not trust the database's key table passes it).
 *
 * Exit codes: 0 consistent, 1 an inconsistency (the first one is printed), 2 usage or I/O error.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_LOG_ISSUER, type KeyHistory } from '@tongban/access-log';
import { databaseTargetFromEnv, migrationsFolderFor, openDatabase } from '@tongban/db';
import { signingKeyHistory } from '@tongban/keys';
import { signingKeys } from './db/schema.js';
import { type AuditReport, auditAccessLog } from './domain/access-log/audit.js';
import { toKeyHistory } from './domain/access-log/key-history.js';
import { KEY_OVERLAP_MS } from './signing.js';

export const EXIT_CONSISTENT = 0;
export const EXIT_INCONSISTENT = 1;
export const EXIT_USAGE = 2;

export interface AuditCliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly readFile: (path: string) => Promise<string>;
  readonly fetch: typeof fetch;
}

const USAGE =
  'usage: pnpm access-log:audit [--keys <file | URL of GET /v1/access-log/keys>] [--issuer <iss>] [--json]';

class UsageError extends Error {}

export async function runAuditCli(argv: readonly string[], io: AuditCliIo): Promise<number> {
  try {
    return await audit(argv, io);
  } catch (error) {
    if (error instanceof UsageError || isParseArgsError(error)) {
      io.stderr(`access-log audit: ${(error as Error).message}\n${USAGE}`);
      return EXIT_USAGE;
    }
    throw error;
  }
}

async function audit(argv: readonly string[], io: AuditCliIo): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      keys: { type: 'string' },
      issuer: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    io.stdout(USAGE);
    return EXIT_CONSISTENT;
  }
  const issuer = values.issuer ?? nonEmpty(io.env.ACCESS_LOG_ISSUER) ?? DEFAULT_LOG_ISSUER;
  let target: ReturnType<typeof databaseTargetFromEnv>;
  try {
    target = databaseTargetFromEnv('records', io.env, io.cwd);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  // Opening a folder that is not there would make an empty database and report it consistent.
  if (target.kind === 'pglite' && !existsSync(target.dataDir)) {
    throw new UsageError(`no records database at ${target.dataDir}`);
  }
  const suppliedKeys = values.keys === undefined ? undefined : await loadKeys(values.keys, io);

  const database = await openDatabase({
    service: 'records',
    target,
    migrationsFolder: migrationsFolderFor('records'),
    poolMax: 2,
  }).catch((error: unknown) => {
    throw new UsageError(`cannot open records' database: ${describe(error)}`);
  });
  try {
    await database.checkReady().catch((error: unknown) => {
      throw new UsageError(`records' database is not ready: ${describe(error)}`);
    });
    const keys =
      suppliedKeys ??
      toKeyHistory(
        await signingKeyHistory({
          db: database.db,
          table: signingKeys,
          overlapMs: KEY_OVERLAP_MS,
        }),
      );
    const report = await auditAccessLog({ db: database.db, keys, issuer });
    io.stdout(values.json ? JSON.stringify(report, null, 2) : formatReport(report));
    return report.ok ? EXIT_CONSISTENT : EXIT_INCONSISTENT;
  } finally {
    await database.close();
  }
}

async function loadKeys(source: string, io: AuditCliIo): Promise<KeyHistory> {
  let text: string;
  try {
    if (/^https?:\/\//.test(source)) {
      const response = await io.fetch(source, { headers: { accept: 'application/json' } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      text = await response.text();
    } else {
      text = await io.readFile(source);
    }
  } catch (error) {
    throw new UsageError(`cannot read the key history from ${source}: ${describe(error)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError(`${source} is not JSON`);
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    !Array.isArray((parsed as { keys?: unknown }).keys)
  ) {
    throw new UsageError(`${source} is not a key history ({ "keys": [...] })`);
  }
  return parsed as KeyHistory;
}

export function formatReport(report: AuditReport): string {
  const lines: string[] = [];
  const counts = [
    `  entries checked      ${report.entries}`,
    `  subtree hashes       ${report.nodes}`,
    `  checkpoints          ${report.checkpoints}${report.latestCheckpoint === null ? '' : ` (latest size ${report.latestCheckpoint})`}`,
    `  not yet sequenced    ${report.unsequenced}`,
  ];
  if (report.signedByWithdrawnKeys > 0) {
    counts.push(
      `  heads by withdrawn keys ${report.signedByWithdrawnKeys} (roots checked; signatures prove nothing)`,
    );
  }
  const { finding } = report;
  if (finding === null) {
    lines.push('access log audit: consistent', ...counts);
  } else {
    const where = [
      finding.leafIndex === undefined ? undefined : `leaf ${finding.leafIndex}`,
      finding.entryId === undefined ? undefined : `entry ${finding.entryId}`,
      finding.treeSize === undefined ? undefined : `checkpoint of size ${finding.treeSize}`,
    ]
      .filter((part) => part !== undefined)
      .join(', ');
    lines.push(
      'access log audit: INCONSISTENT',
      `  first problem: ${finding.kind}${where === '' ? '' : ` at ${where}`}`,
      `  ${finding.detail}`,
      'checked before it:',
      ...counts,
    );
  }
  return lines.join('\n');
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function isParseArgsError(error: unknown): error is Error {
  if (!(error instanceof Error) || !('code' in error)) return false;
  return typeof error.code === 'string' && error.code.startsWith('ERR_PARSE_ARGS');
}

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

/** The process's own streams, environment and working directory: for the command only. */
export function processIo(): AuditCliIo {
  return {
    stdout: (text) => process.stdout.write(`${text}\n`),
    stderr: (text) => process.stderr.write(`${text}\n`),
    env: process.env,
    cwd: process.cwd(),
    readFile: (path) => readFile(path, 'utf8'),
    fetch: (input, init) => fetch(input, init),
  };
}

// Run only when executed, never when imported by tests or other code.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await runAuditCli(process.argv.slice(2), processIo());
}
