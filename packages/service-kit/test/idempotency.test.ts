import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { type Database, openDatabase } from '@tongban/db';
import { createTestDatabase, type TestDatabase } from '@tongban/test-database';
import { and, count, eq, sql } from 'drizzle-orm';
import fc from 'fast-check';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createService,
  type DbTransaction,
  deleteExpiredIdempotencyKeys,
  hashRequest,
  IDEMPOTENCY_KEY_TTL_MS,
  IdempotencyKeyHeaders,
  type IdempotentResponse,
  idempotencyKeyFrom,
  parseIdempotencyKey,
  replyIdempotent,
  runIdempotent,
  type ServiceInstance,
} from '../src/index.js';
import { idempotencyKeys, widgets } from './fixtures/idempotency-schema.js';
import { testConfig } from './helpers.js';

const migrationsFolder = fileURLToPath(new URL('./fixtures/migrations/kitidem', import.meta.url));
const T0 = new Date('2030-03-01T08:00:00.000Z');

let testDb: TestDatabase;
let database: Database;

beforeAll(async () => {
  testDb = await createTestDatabase();
  database = await openDatabase({ service: 'kitidem', target: testDb.target, migrationsFolder });
  await database.migrate();
});

afterAll(async () => {
  await database?.close();
  await testDb?.drop();
});

/** A creating verb that counts its executions and can be slowed down or made to fail. */
function widgetMaker(name: string, options: { delayMs?: number; fail?: Error } = {}) {
  const calls = { count: 0 };
  const run = async (
    tx: DbTransaction,
  ): Promise<IdempotentResponse<{ id: number; name: string }>> => {
    calls.count++;
    const [row] = await tx.insert(widgets).values({ name }).returning();
    if (options.delayMs) await sleep(options.delayMs);
    if (options.fail) throw options.fail;
    if (row === undefined) throw new Error('insert returned nothing');
    return {
      status: 201,
      body: { id: row.id, name: row.name },
      headers: { location: `/v1/widgets/${row.id}`, etag: '"1"' },
    };
  };
  return { run, calls };
}

async function widgetsNamed(name: string): Promise<number> {
  const [row] = await database.db
    .select({ n: count() })
    .from(widgets)
    .where(eq(widgets.name, name));
  return row?.n ?? 0;
}

async function keyRow(scope: string, key: string) {
  const [row] = await database.db
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key)));
  return row;
}

/** Each test owns its caller, key and widget name. */
function fresh() {
  return { scope: `staff:${randomUUID()}`, key: randomUUID(), name: `widget-${randomUUID()}` };
}

function call(
  f: { scope: string; key: string | undefined; name: string },
  run: ReturnType<typeof widgetMaker>['run'],
  overrides: { now?: Date; body?: unknown; path?: string; lockTimeoutMs?: number } = {},
) {
  return runIdempotent({
    db: database.db,
    table: idempotencyKeys,
    scope: f.scope,
    key: f.key,
    method: 'POST',
    path: overrides.path ?? '/v1/widgets',
    body: overrides.body ?? { name: f.name },
    now: overrides.now ?? T0,
    run,
    ...(overrides.lockTimeoutMs === undefined ? {} : { lockTimeoutMs: overrides.lockTimeoutMs }),
  });
}

describe('runIdempotent', () => {
  it('runs the first request and stores its response with the key', async () => {
    const f = fresh();
    const maker = widgetMaker(f.name);
    const result = await call(f, maker.run);

    expect(maker.calls.count).toBe(1);
    expect(result.replayed).toBe(false);
    expect(result.status).toBe(201);
    expect(result.body).toMatchObject({ name: f.name });
    expect(result.headers).toEqual({ location: `/v1/widgets/${result.body.id}`, etag: '"1"' });
    const row = await keyRow(f.scope, f.key);
    expect(row).toMatchObject({
      status: 'done',
      method: 'POST',
      path: '/v1/widgets',
      requestHash: hashRequest('POST', '/v1/widgets', { name: f.name }),
      responseStatus: 201,
      responseBody: result.body,
      responseHeaders: result.headers,
    });
    expect(row?.expiresAt.getTime()).toBe(T0.getTime() + IDEMPOTENCY_KEY_TTL_MS);
  });

  it('replays the stored response without running again', async () => {
    const f = fresh();
    const maker = widgetMaker(f.name);
    const first = await call(f, maker.run);
    const again = await call(f, maker.run, { now: new Date(T0.getTime() + 60_000) });

    expect(maker.calls.count).toBe(1);
    expect(again).toEqual({ ...first, replayed: true });
    expect(await widgetsNamed(f.name)).toBe(1);
  });

  it('treats bodies that differ only in key order as the same request', async () => {
    const f = fresh();
    const maker = widgetMaker(f.name);
    await call(f, maker.run, { body: { name: f.name, tags: ['a'], meta: { x: 1, y: 2 } } });
    const again = await call(f, maker.run, {
      body: { meta: { y: 2, x: 1 }, tags: ['a'], name: f.name },
    });
    expect(again.replayed).toBe(true);
    expect(maker.calls.count).toBe(1);
  });

  it('refuses a reused key with a different body: 422 idempotency_conflict', async () => {
    const f = fresh();
    const maker = widgetMaker(f.name);
    await call(f, maker.run);
    await expect(call(f, maker.run, { body: { name: 'something else' } })).rejects.toMatchObject({
      status: 422,
      code: 'idempotency_conflict',
      detail: expect.stringMatching(/different request/),
    });
    expect(maker.calls.count).toBe(1);
  });

  it('refuses a reused key on another path: 422 idempotency_conflict', async () => {
    const f = fresh();
    const maker = widgetMaker(f.name);
    await call(f, maker.run);
    await expect(call(f, maker.run, { path: '/v1/gadgets' })).rejects.toMatchObject({
      status: 422,
      code: 'idempotency_conflict',
    });
  });

  it('keeps keys apart per caller', async () => {
    const f = fresh();
    const maker = widgetMaker(f.name);
    await call(f, maker.run);
    const other = await call({ ...f, scope: `client:${randomUUID()}` }, maker.run);
    expect(other.replayed).toBe(false);
    expect(maker.calls.count).toBe(2);
  });

  it('runs two concurrent identical requests once and gives both the same response', async () => {
    const f = fresh();
    const maker = widgetMaker(f.name, { delayMs: 150 });
    const results = await Promise.all([call(f, maker.run), call(f, maker.run)]);

    expect(maker.calls.count).toBe(1);
    expect(await widgetsNamed(f.name)).toBe(1);
    expect(results.map((r) => r.replayed).sort()).toEqual([false, true]);
    const [a, b] = results;
    expect({ ...a, replayed: undefined }).toEqual({ ...b, replayed: undefined });
  });

  it('runs once under a burst of concurrent retries', async () => {
    const f = fresh();
    const maker = widgetMaker(f.name, { delayMs: 50 });
    const results = await Promise.all(Array.from({ length: 6 }, () => call(f, maker.run)));
    expect(maker.calls.count).toBe(1);
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    expect(new Set(results.map((r) => JSON.stringify(r.body))).size).toBe(1);
  });

  it('answers 409 to a duplicate that outwaits the lock timeout (PostgreSQL); embedded waits its turn', async () => {
    const f = fresh();
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let started = () => {};
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const slow = widgetMaker(f.name);
    const first = call(f, async (tx) => {
      started();
      await gate;
      return slow.run(tx);
    });
    await running;
    const second = call(f, slow.run, { lockTimeoutMs: 200 });

    if (database.engine === 'postgres') {
      await expect(second).rejects.toMatchObject({
        status: 409,
        code: 'idempotency_in_progress',
        detail: expect.stringMatching(/still being processed/),
        headers: { 'retry-after': '1' },
      });
      release();
      expect((await first).replayed).toBe(false);
    } else {
      // PGlite runs one transaction at a time: the duplicate starts after the first commits.
      release();
      const [a, b] = await Promise.all([first, second]);
      expect(a.replayed).toBe(false);
      expect(b).toEqual({ ...a, replayed: true });
    }
    expect(slow.calls.count).toBe(1);
  });

  it('answers 409 when the key belongs to a request still marked in progress', async () => {
    const f = fresh();
    await database.db.insert(idempotencyKeys).values({
      scope: f.scope,
      key: f.key,
      method: 'POST',
      path: '/v1/widgets',
      requestHash: hashRequest('POST', '/v1/widgets', { name: f.name }),
      status: 'in_progress',
      expiresAt: new Date(T0.getTime() + 1000),
    });
    const maker = widgetMaker(f.name);
    await expect(call(f, maker.run)).rejects.toMatchObject({
      status: 409,
      code: 'idempotency_in_progress',
    });
    expect(maker.calls.count).toBe(0);
  });

  it('frees the key when run fails, and rolls back what run wrote', async () => {
    const f = fresh();
    const failing = widgetMaker(f.name, { fail: new Error('downstream unavailable') });
    await expect(call(f, failing.run)).rejects.toThrow('downstream unavailable');
    expect(await keyRow(f.scope, f.key)).toBeUndefined();
    expect(await widgetsNamed(f.name)).toBe(0);

    const working = widgetMaker(f.name);
    const retry = await call(f, working.run);
    expect(retry.replayed).toBe(false);
    expect(working.calls.count).toBe(1);
    expect(await widgetsNamed(f.name)).toBe(1);
  });

  it('treats an expired key as unused', async () => {
    const f = fresh();
    const maker = widgetMaker(f.name);
    const first = await call(f, maker.run);
    const atExpiry = new Date(T0.getTime() + IDEMPOTENCY_KEY_TTL_MS);
    expect((await call(f, maker.run, { now: atExpiry })).replayed).toBe(true);

    const later = new Date(atExpiry.getTime() + 1);
    const afterwards = await call(f, maker.run, { now: later, body: { name: f.name, v: 2 } });
    expect(afterwards.replayed).toBe(false);
    expect(afterwards.body.id).not.toBe(first.body.id);
    expect(maker.calls.count).toBe(2);
    const row = await keyRow(f.scope, f.key);
    expect(row?.expiresAt.getTime()).toBe(later.getTime() + IDEMPOTENCY_KEY_TTL_MS);
    expect(row?.requestHash).toBe(hashRequest('POST', '/v1/widgets', { name: f.name, v: 2 }));
  });

  it.each([
    ['empty', ''],
    ['too long', 'k'.repeat(256)],
    ['non-ASCII', 'ключ-1'],
    ['a control character', 'abc\ndef'],
  ])('refuses a key that is %s with 400 validation_failed', async (_label, key) => {
    const f = { ...fresh(), key };
    const maker = widgetMaker(f.name);
    await expect(call(f, maker.run)).rejects.toMatchObject({
      status: 400,
      code: 'validation_failed',
    });
    expect(maker.calls.count).toBe(0);
  });

  it('accepts a key of exactly 255 characters', async () => {
    const f = { ...fresh(), key: `${randomUUID()}${'k'.repeat(219)}` };
    expect(f.key).toHaveLength(255);
    expect((await call(f, widgetMaker(f.name).run)).replayed).toBe(false);
  });

  it('just runs in a transaction when there is no key', async () => {
    const f = { ...fresh(), key: undefined };
    const maker = widgetMaker(f.name);
    const a = await call(f, maker.run);
    const b = await call(f, maker.run);
    expect([a.replayed, b.replayed]).toEqual([false, false]);
    expect(maker.calls.count).toBe(2);
    const [row] = await database.db
      .select({ n: count() })
      .from(idempotencyKeys)
      .where(eq(idempotencyKeys.scope, f.scope));
    expect(row?.n).toBe(0);
  });

  it('leaves the lock timeout of the transaction as it was for run', async () => {
    const f = fresh();
    const before = await database.db.execute(sql`select current_setting('lock_timeout') as v`);
    let inside: unknown;
    await call(f, async (tx) => {
      inside = await tx.execute(sql`select current_setting('lock_timeout') as v`);
      return { status: 201, body: { id: 0, name: f.name } };
    });
    expect((inside as { rows: unknown[] }).rows).toEqual((before as { rows: unknown[] }).rows);
  });
});

describe('deleteExpiredIdempotencyKeys', () => {
  it('deletes expired keys only, at most limit at a time', async () => {
    const scope = `staff:${randomUUID()}`;
    // Long before every other test's keys expire, so this sweep touches only its own rows.
    const past = new Date('2001-01-01T00:00:00Z');
    const rows = [-2, -1, 1].map((offsetMs, i) => ({
      scope,
      key: `k${i}`,
      method: 'POST',
      path: '/v1/widgets',
      requestHash: 'h',
      status: 'done' as const,
      responseStatus: 201,
      expiresAt: new Date(past.getTime() + offsetMs),
    }));
    await database.db.insert(idempotencyKeys).values(rows);
    const sweep = () =>
      deleteExpiredIdempotencyKeys({
        db: database.db,
        table: idempotencyKeys,
        now: past,
        limit: 1,
      });
    expect([await sweep(), await sweep(), await sweep()]).toEqual([1, 1, 0]);
    const left = await database.db
      .select({ key: idempotencyKeys.key })
      .from(idempotencyKeys)
      .where(eq(idempotencyKeys.scope, scope));
    expect(left).toEqual([{ key: 'k2' }]);
  });
});

describe('parseIdempotencyKey', () => {
  it('reads a bare value and a Structured Field string alike', () => {
    expect(parseIdempotencyKey('8e03978e-40d5-43e8-bc93-6894a57f9324')).toBe(
      '8e03978e-40d5-43e8-bc93-6894a57f9324',
    );
    expect(parseIdempotencyKey('"8e03978e-40d5-43e8-bc93-6894a57f9324"')).toBe(
      '8e03978e-40d5-43e8-bc93-6894a57f9324',
    );
    expect(parseIdempotencyKey('"a \\"quoted\\" \\\\ key"')).toBe('a "quoted" \\ key');
    expect(parseIdempotencyKey(undefined)).toBeUndefined();
    expect(idempotencyKeyFrom({ headers: { 'idempotency-key': ' "abc" ' } })).toBe('abc');
  });

  it.each([
    ['an unterminated string', '"abc'],
    ['a bad escape', '"a\\bc"'],
    ['text after the string', '"abc"def'],
    ['a list of strings', '"abc", "def"'],
    ['an empty string', '""'],
    ['a repeated header', ['abc', 'def']],
  ])('refuses %s', (_label, raw) => {
    expect(() => parseIdempotencyKey(raw)).toThrow(
      expect.objectContaining({ status: 400, code: 'validation_failed' }),
    );
  });

  it('round-trips every valid key through its Structured Field form', () => {
    const printable = fc
      .string({ minLength: 1, maxLength: 255, unit: 'binary-ascii' })
      .filter((s) => /^[\x20-\x7e]+$/.test(s) && s.trim() === s);
    fc.assert(
      fc.property(printable, (key) => {
        const sf = `"${key.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
        expect(parseIdempotencyKey(sf)).toBe(key);
        if (!key.startsWith('"')) expect(parseIdempotencyKey(key)).toBe(key);
      }),
    );
  });

  it('never throws anything but validation_failed', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (raw) => {
        try {
          parseIdempotencyKey(raw);
        } catch (err) {
          expect(err).toMatchObject({ status: 400, code: 'validation_failed' });
        }
      }),
    );
  });
});

describe('hashRequest', () => {
  it('ignores object key order and nothing else', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (body) => {
        const reversed = Object.fromEntries(Object.entries(body).reverse());
        expect(hashRequest('POST', '/v1/x', reversed)).toBe(hashRequest('post', '/v1/x', body));
        expect(hashRequest('POST', '/v1/y', body)).not.toBe(hashRequest('POST', '/v1/x', body));
      }),
    );
    expect(hashRequest('POST', '/v1/x', { a: 1 })).not.toBe(hashRequest('POST', '/v1/x', { a: 2 }));
    expect(hashRequest('POST', '/v1/x', { a: [1, 2] })).not.toBe(
      hashRequest('POST', '/v1/x', { a: [2, 1] }),
    );
  });
});

describe('POST /v1/widgets with Idempotency-Key', () => {
  let app: ServiceInstance;
  const runs = { count: 0 };

  beforeAll(async () => {
    app = await createService({
      name: 'kitidem',
      version: '0.0.0',
      description: 'idempotency under test',
      readiness: () => database.checkReady(),
      config: testConfig,
    });
    const Widget = Type.Object({ id: Type.Integer(), name: Type.String() });
    app.post(
      '/v1/widgets',
      {
        config: { public: true },
        schema: {
          headers: Type.Intersect([
            IdempotencyKeyHeaders,
            Type.Object({ 'x-actor': Type.String({ minLength: 1 }) }),
          ]),
          body: Type.Object(
            { name: Type.String({ minLength: 1 }) },
            { additionalProperties: false },
          ),
          response: { 201: Widget },
        },
      },
      async (request, reply) => {
        const result = await runIdempotent({
          db: database.db,
          table: idempotencyKeys,
          scope: `staff:${request.headers['x-actor']}`,
          key: idempotencyKeyFrom(request),
          method: request.method,
          path: request.url,
          body: request.body,
          now: new Date(),
          run: async (tx) => {
            runs.count++;
            await sleep(50);
            const [row] = await tx.insert(widgets).values({ name: request.body.name }).returning();
            if (row === undefined) throw new Error('insert returned nothing');
            return { status: 201, body: row, headers: { location: `/v1/widgets/${row.id}` } };
          },
        });
        return replyIdempotent(reply, result);
      },
    );
  });

  afterAll(() => app?.close());

  const post = (actor: string, name: string, key?: string) =>
    app.inject({
      method: 'POST',
      url: '/v1/widgets',
      headers: { 'x-actor': actor, ...(key === undefined ? {} : { 'idempotency-key': key }) },
      payload: { name },
    });

  it('creates once and replays the response with Idempotent-Replayed', async () => {
    const actor = randomUUID();
    const key = randomUUID();
    const before = runs.count;
    const first = await post(actor, 'lamp', key);
    expect(first.statusCode).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(first.headers.location).toBe(`/v1/widgets/${first.json().id}`);

    // The Structured Field form names the same key.
    const again = await post(actor, 'lamp', `"${key}"`);
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.headers.location).toBe(first.headers.location);
    expect(again.json()).toEqual(first.json());
    expect(runs.count - before).toBe(1);
  });

  it('creates once for concurrent retries', async () => {
    const actor = randomUUID();
    const key = randomUUID();
    const name = `chair-${key}`;
    const responses = await Promise.all([post(actor, name, key), post(actor, name, key)]);
    expect(responses.map((r) => r.statusCode)).toEqual([201, 201]);
    expect(responses[0]?.json()).toEqual(responses[1]?.json());
    expect(responses.map((r) => r.headers['idempotent-replayed']).sort()).toEqual([
      'true',
      undefined,
    ]);
    expect(await widgetsNamed(name)).toBe(1);
  });

  it('answers a reused key with another body with 422 problem+json', async () => {
    const actor = randomUUID();
    const key = randomUUID();
    await post(actor, 'desk', key);
    const res = await post(actor, 'table', key);
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({
      status: 422,
      code: 'idempotency_conflict',
      type: 'urn:tongban:problem:idempotency_conflict',
    });
  });

  it('answers a malformed key with 400 validation_failed', async () => {
    const res = await post(randomUUID(), 'stool', '"unterminated');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      code: 'validation_failed',
      errors: [{ field: 'headers.idempotency-key', message: 'is invalid' }],
    });
  });

  it('creates each time without a key', async () => {
    const actor = randomUUID();
    const name = `shelf-${randomUUID()}`;
    const a = await post(actor, name);
    const b = await post(actor, name);
    expect([a.statusCode, b.statusCode]).toEqual([201, 201]);
    expect(a.json().id).not.toBe(b.json().id);
    expect(await widgetsNamed(name)).toBe(2);
  });

  it('documents the header in OpenAPI', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
    const params = doc.paths['/v1/widgets'].post.parameters as { name: string; in: string }[];
    expect(params).toContainEqual(
      expect.objectContaining({ name: 'idempotency-key', in: 'header' }),
    );
  });

  it('documents both idempotency refusals with distinct codes', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
    const responses = doc.paths['/v1/widgets'].post.responses;
    expect(responses['409']['x-codes']).toEqual(['idempotency_in_progress']);
    expect(responses['422']['x-codes']).toEqual(['idempotency_conflict']);
  });
});
