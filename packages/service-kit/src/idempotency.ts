import { createHash } from 'node:crypto';
import type { Db } from '@tongban/db';
import { and, eq, lt, sql } from 'drizzle-orm';
import {
  check,
  index,
  integer,
  jsonb,
  type PgSchema,
  primaryKey,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { type ApiError, errors, problem } from './errors.js';
import { inTransaction } from './state/transaction.js';

/*
 * Idempotency-Key (draft-ietf-httpapi-idempotency-key-header) for creating POSTs.
 *
 * The key row is inserted inside the same transaction as the state change, and the response is
 * stored in it before commit. So the row becomes visible to others only as 'done', together with
 * what the request changed, or not at all (the transaction rolled back and the key is free). A
 * concurrent duplicate's insert waits on the primary key until the first transaction ends, then
 * finds the done row and replays it: `run` executes once however many replicas take the retries.
 */

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
export const IDEMPOTENT_REPLAYED_HEADER = 'idempotent-replayed';
/** How long a key and its stored response are kept; a retry after that runs again. */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;
/** How long a duplicate waits for the first request with its key before it is told 409. */
export const IDEMPOTENCY_LOCK_TIMEOUT_MS = 5_000;

const KEY_MAX_LENGTH = 255;
// Printable ASCII, the characters an sf-string may carry (RFC 8941 §3.3.3).
const VALID_KEY = /^[\x20-\x7e]{1,255}$/;
// lock_not_available: lock_timeout ran out while waiting for the first request's transaction.
const LOCK_NOT_AVAILABLE = '55P03';

/**
 * The table a service adds to its own `src/db/schema.ts`, so drizzle-kit generates it into that
 * service's migrations: `export const idempotencyKeys = idempotencyKeysTable(workflow);`.
 */
export function idempotencyKeysTable(schema: PgSchema) {
  return schema.table(
    'idempotency_keys',
    {
      /** Who is calling (`staff:<id>`, `client:<id>`, `resident:<subject>`): keys are per caller. */
      scope: text('scope').notNull(),
      key: text('key').notNull(),
      method: text('method').notNull(),
      path: text('path').notNull(),
      /** SHA-256 of method, path and canonical JSON body: a reused key must carry the same request. */
      requestHash: text('request_hash').notNull(),
      status: text('status', { enum: ['in_progress', 'done'] }).notNull(),
      responseStatus: integer('response_status'),
      responseBody: jsonb('response_body'),
      responseHeaders: jsonb('response_headers').$type<IdempotentHeaders>(),
      createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
      expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    },
    (t) => [
      primaryKey({ columns: [t.scope, t.key] }),
      index('idempotency_keys_expires_at_idx').on(t.expiresAt),
      check('idempotency_keys_status_check', sql`${t.status} in ('in_progress', 'done')`),
      check(
        'idempotency_keys_response_check',
        sql`${t.status} = 'in_progress' or ${t.responseStatus} is not null`,
      ),
    ],
  );
}

export type IdempotencyKeysTable = ReturnType<typeof idempotencyKeysTable>;

/** The transaction handed to `run`: the same type as `db.transaction`'s callback argument. */
export type DbTransaction<TSchema extends Record<string, unknown> = Record<string, never>> =
  Parameters<Parameters<Db<TSchema>['transaction']>[0]>[0];

/** Only these headers are part of a stored response; anything else is recomputed per request. */
export interface IdempotentHeaders {
  readonly location?: string;
  readonly etag?: string;
}

export interface IdempotentResponse<TBody> {
  readonly status: number;
  /** Plain JSON data: it is stored as jsonb, and the first response is returned in that form too. */
  readonly body: TBody;
  readonly headers?: IdempotentHeaders;
}

export interface IdempotentResult<TBody> {
  readonly status: number;
  readonly body: TBody;
  readonly headers: IdempotentHeaders;
  /** True when this is the stored response of an earlier request with the same key. */
  readonly replayed: boolean;
}

export interface RunIdempotentOptions<TBody, TSchema extends Record<string, unknown>> {
  readonly db: Db<TSchema>;
  readonly table: IdempotencyKeysTable;
  /**
   * The authenticated caller. Keys are only unique per caller, and a replay hands back another
   * request's response, so the scope must identify the caller; never share one across callers.
   */
  readonly scope: string;
  /** The `Idempotency-Key` value (see `idempotencyKeyFrom`); undefined runs without one. */
  readonly key: string | undefined;
  readonly method: string;
  /** The request path as sent (e.g. `request.url`), so one key cannot span two resources. */
  readonly path: string;
  /** The parsed request body; compared by canonical JSON, so key order does not matter. */
  readonly body: unknown;
  readonly now: Date;
  /** The state change; its response is stored with the key in the same transaction. */
  readonly run: (tx: DbTransaction<TSchema>) => Promise<IdempotentResponse<TBody>>;
  readonly ttlMs?: number;
  readonly lockTimeoutMs?: number;
}

/**
 * Runs `run` in a transaction at most once per (scope, key) within the key's lifetime and
 * returns its response, or the stored response of the request that used the key first.
 *
 * - Same key, same request, done: the stored response, `replayed: true`.
 * - Same key, different method, path or body: 422 `idempotency_conflict` (the draft's
 *   "reused with a different payload").
 * - Same key while the first request is still running: waits for it (up to `lockTimeoutMs`),
 *   then replays; past that, 409 `idempotency_in_progress` with `Retry-After`.
 * - `run` throws: nothing is stored, the key is free, the error propagates.
 * - An expired key counts as never used.
 */
export async function runIdempotent<TBody, TSchema extends Record<string, unknown>>(
  options: RunIdempotentOptions<TBody, TSchema>,
): Promise<IdempotentResult<TBody>> {
  const { db, run, key } = options;
  if (key === undefined) {
    return db.transaction((tx) =>
      inTransaction(tx, async () => ({ ...normalized(await run(tx)), replayed: false })),
    );
  }
  assertValidKey(key);
  if (options.scope === '') throw new Error('runIdempotent: scope must identify the caller');

  const { table, scope, now } = options;
  const method = options.method.toUpperCase();
  const requestHash = hashRequest(method, options.path, options.body);
  const expiresAt = new Date(now.getTime() + (options.ttlMs ?? IDEMPOTENCY_KEY_TTL_MS));
  const thisKey = and(eq(table.scope, scope), eq(table.key, key));
  const claim = {
    method,
    path: options.path,
    requestHash,
    status: 'in_progress' as const,
    responseStatus: null,
    responseBody: null,
    responseHeaders: null,
    createdAt: now,
    expiresAt,
  };

  return db.transaction(async (tx) => {
    // The insert waits on the primary key while another transaction holds the same key; bound
    // that wait so retries of a slow request cannot pile up on the connection pool.
    const restoreLockTimeout = await setLockTimeout(
      tx,
      options.lockTimeoutMs ?? IDEMPOTENCY_LOCK_TIMEOUT_MS,
    );
    let claimed: unknown[];
    try {
      // One statement: insert, or take over a row whose key has expired. A live row is left
      // alone and nothing is returned.
      claimed = await tx
        .insert(table)
        .values({ scope, key, ...claim })
        .onConflictDoUpdate({
          target: [table.scope, table.key],
          set: claim,
          setWhere: lt(table.expiresAt, now),
        })
        .returning({ key: table.key });
    } catch (err) {
      if (hasCode(err, LOCK_NOT_AVAILABLE)) throw stillInProgress();
      throw err;
    }
    await restoreLockTimeout();

    if (claimed.length === 0) {
      const [row] = await tx.select().from(table).where(thisKey);
      if (row === undefined) throw stillInProgress();
      if (row.requestHash !== requestHash) {
        throw problem(
          'idempotency_conflict',
          'This Idempotency-Key was already used for a different request; use a new key for a new request.',
        );
      }
      if (row.status !== 'done' || row.responseStatus === null) throw stillInProgress();
      return {
        status: row.responseStatus,
        body: row.responseBody as TBody,
        headers: row.responseHeaders ?? {},
        replayed: true,
      };
    }

    // Branded, so verbs that call withTransaction join this transaction instead of nesting one.
    const response = normalized(await inTransaction(tx, () => run(tx)));
    await tx
      .update(table)
      .set({
        status: 'done',
        responseStatus: response.status,
        responseBody: response.body,
        responseHeaders: Object.keys(response.headers).length > 0 ? response.headers : null,
      })
      .where(thisKey);
    return { ...response, replayed: false };
  });
}

/**
 * Deletes up to `limit` expired keys and returns how many it deleted. Safe to run in every
 * replica at once: rows another sweeper or a request holds are skipped, not waited for.
 */
export async function deleteExpiredIdempotencyKeys<
  TSchema extends Record<string, unknown>,
>(options: {
  readonly db: Db<TSchema>;
  readonly table: IdempotencyKeysTable;
  readonly now: Date;
  readonly limit?: number;
}): Promise<number> {
  const { db, table, now } = options;
  const expired = db
    .select({ scope: table.scope, key: table.key })
    .from(table)
    .where(lt(table.expiresAt, now))
    .limit(options.limit ?? 1000)
    .for('update', { skipLocked: true });
  const deleted = await db
    .delete(table)
    .where(sql`(${table.scope}, ${table.key}) in (${expired})`)
    .returning({ key: table.key });
  return deleted.length;
}

/**
 * Reads `Idempotency-Key`. The draft defines it as a Structured Field string (`"abc"`, RFC 8941
 * §3.3.3); a bare `abc` is accepted too, since that is what most clients send. Returns undefined
 * when the header is absent; a malformed or repeated header is 400 `validation_failed`.
 */
export function idempotencyKeyFrom(request: Pick<FastifyRequest, 'headers'>): string | undefined {
  return parseIdempotencyKey(request.headers[IDEMPOTENCY_KEY_HEADER]);
}

export function parseIdempotencyKey(
  raw: string | readonly string[] | undefined,
): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw invalidKey('Send Idempotency-Key once.');
  const value = raw.trim();
  const key = value.startsWith('"') ? parseSfString(value) : value;
  assertValidKey(key);
  return key;
}

/**
 * Sets the status, the stored headers and, on a replay, `Idempotent-Replayed: true`; returns the
 * body for the handler to return, so the route's response schema still serializes it.
 */
export function replyIdempotent<TBody>(
  reply: { code(statusCode: number): unknown; header(name: string, value: string): unknown },
  result: IdempotentResult<TBody>,
): TBody {
  reply.code(result.status);
  if (result.headers.location !== undefined) reply.header('location', result.headers.location);
  if (result.headers.etag !== undefined) reply.header('etag', result.headers.etag);
  if (result.replayed) reply.header(IDEMPOTENT_REPLAYED_HEADER, 'true');
  return result.body;
}

/**
 * A creating route's whole handler body: runs `run` once per (caller, `Idempotency-Key`) with the
 * request's method, path and body, and answers with its response or the stored one. The scope is
 * the authenticated caller (`kind:subject`), so no caller can replay another's response.
 */
export async function respondIdempotently<TBody, TSchema extends Record<string, unknown>>(
  request: Pick<FastifyRequest, 'headers' | 'method' | 'url' | 'body'> & {
    readonly actor?: { readonly kind: string; readonly subject: string } | undefined;
  },
  reply: { code(statusCode: number): unknown; header(name: string, value: string): unknown },
  options: Pick<RunIdempotentOptions<TBody, TSchema>, 'db' | 'table' | 'now' | 'run'>,
): Promise<TBody> {
  const { actor } = request;
  if (actor === undefined) throw new Error('respondIdempotently needs an authenticated route');
  const result = await runIdempotent({
    ...options,
    scope: `${actor.kind}:${actor.subject}`,
    key: idempotencyKeyFrom(request),
    method: request.method,
    path: request.url,
    body: request.body,
  });
  return replyIdempotent(reply, result);
}

/** For a creating route's `schema.headers`, so OpenAPI documents the header. */
export const IdempotencyKeyHeaders = Type.Object({
  [IDEMPOTENCY_KEY_HEADER]: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: KEY_MAX_LENGTH + 2,
      pattern: '^[\\u0020-\\u007E]+$',
      description:
        'Makes retries of this request safe: a repeat with the same key and body within 24 h returns the first response (with Idempotent-Replayed: true) instead of acting again. A Structured Field string ("…") or a bare value, 1–255 printable ASCII characters.',
    }),
  ),
});

/** SHA-256 over method, path and the body in canonical JSON (object keys sorted). */
export function hashRequest(method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method.toUpperCase()} ${path}\n${canonicalJson(body)}`)
    .digest('hex');
}

function canonicalJson(value: unknown): string {
  if (value !== null && typeof value === 'object') {
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return canonicalJson(toJSON.call(value));
    if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
    const record = value as Record<string, unknown>;
    const members = Object.keys(record)
      .filter((k) => record[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function parseSfString(value: string): string {
  let out = '';
  for (let i = 1; i < value.length; i++) {
    const c = value[i];
    if (c === '\\') {
      const next = value[i + 1];
      if (next !== '"' && next !== '\\') break;
      out += next;
      i++;
    } else if (c === '"') {
      if (i === value.length - 1) return out;
      break;
    } else {
      out += c;
    }
  }
  throw invalidKey('Idempotency-Key is not a valid Structured Field string.');
}

function assertValidKey(key: string): void {
  if (!VALID_KEY.test(key)) {
    throw invalidKey(`Idempotency-Key must be 1 to ${KEY_MAX_LENGTH} printable ASCII characters.`);
  }
}

function invalidKey(detail: string): ApiError {
  return errors.validationFailed(detail, {
    errors: [{ field: `headers.${IDEMPOTENCY_KEY_HEADER}`, message: 'is invalid' }],
  });
}

function stillInProgress(): ApiError {
  return problem(
    'idempotency_in_progress',
    'A request with this Idempotency-Key is still being processed; retry shortly.',
    { headers: { 'retry-after': '1' } },
  );
}

function normalized<TBody>(response: IdempotentResponse<TBody>) {
  const headers: { location?: string; etag?: string } = {};
  if (response.headers?.location !== undefined) headers.location = response.headers.location;
  if (response.headers?.etag !== undefined) headers.etag = response.headers.etag;
  return {
    status: response.status,
    // What jsonb will hand back on a replay, so a first response and its replays are the same.
    body: JSON.parse(JSON.stringify(response.body ?? null)) as TBody,
    headers: headers as IdempotentHeaders,
  };
}

async function setLockTimeout(
  tx: { execute: (query: ReturnType<typeof sql>) => Promise<unknown> },
  ms: number,
): Promise<() => Promise<void>> {
  // The subquery reads the caller's setting before set_config replaces it for this transaction.
  const result = await tx.execute(
    sql`select s.previous, set_config('lock_timeout', ${`${Math.max(1, Math.round(ms))}ms`}, true) from (select current_setting('lock_timeout') as previous offset 0) as s`,
  );
  const previous = rowsOf<{ previous: string }>(result)[0]?.previous ?? '0';
  return async () => {
    await tx.execute(sql`select set_config('lock_timeout', ${previous}, true)`);
  };
}

function hasCode(err: unknown, code: string): boolean {
  for (let e = err, depth = 0; e !== null && typeof e === 'object' && depth < 5; depth++) {
    if ((e as { code?: unknown }).code === code) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

// node-postgres and PGlite both return { rows }; drizzle passes them through.
function rowsOf<T>(result: unknown): T[] {
  const rows = (result as { rows?: unknown }).rows;
  return Array.isArray(rows) ? (rows as T[]) : [];
}
