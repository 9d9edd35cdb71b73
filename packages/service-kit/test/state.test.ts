import { fileURLToPath } from 'node:url';
import { type Database, openDatabase } from '@tongban/db';
import { createTestDatabase, type TestDatabase } from '@tongban/testing';
import { eq } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiError,
  changeRecorder,
  etagOf,
  isApiError,
  outboxBacklog,
  parseIfMatch,
  type RequestContext,
  requireIfMatch,
  runIdempotent,
  updateVersioned,
  uuidV7,
  versionsFromIfMatch,
  withTransaction,
} from '../src/index.js';
import { events, gadgets, idempotencyKeys, outbox } from './fixtures/state-schema.js';

const migrationsFolder = fileURLToPath(new URL('./fixtures/migrations/kitstate', import.meta.url));
const T0 = new Date('2030-03-01T08:00:00.000Z');
const recordChange = changeRecorder({ events, outbox });

let testDb: TestDatabase;
let database: Database;
beforeAll(async () => {
  testDb = await createTestDatabase();
  database = await openDatabase({ service: 'kitstate', target: testDb.target, migrationsFolder });
  await database.migrate();
});
afterAll(async () => {
  await database?.close();
  await testDb?.drop();
});

const actor = { kind: 'staff', subject: 's-1', department: 'health' };
const ctxOf = (db = database.db): RequestContext<typeof actor> => ({
  db,
  actor,
  requestId: 'req-1',
  clock: () => T0,
});
const eventsFor = (id: string) =>
  database.db.select().from(events).where(eq(events.aggregateId, id));

async function flip(ctx: RequestContext<typeof actor>, id: string, failAfter = false) {
  return withTransaction(ctx, async (ctx) => {
    await ctx.db.insert(gadgets).values({ id, status: 'on' });
    await recordChange(ctx, {
      aggregate: { type: 'gadget', id },
      type: 'gadget.created',
      data: {},
    });
    if (failAfter) throw new Error('late failure');
  });
}

describe('withTransaction and recordChange', () => {
  it('writes the change, its event and its outbox row together', async () => {
    await flip(ctxOf(), 'g-1');
    const [event] = await eventsFor('g-1');
    expect(event).toMatchObject({ type: 'gadget.created', actor: 'staff:s-1', requestId: 'req-1' });
    const rows = await database.db
      .select()
      .from(outbox)
      .where(eq(outbox.eventId, event?.id ?? ''));
    expect(rows).toHaveLength(1);
  });

  it('joins the Idempotency-Key transaction, so a later failure there undoes the change and its event', async () => {
    await expect(
      runIdempotent({
        db: database.db,
        table: idempotencyKeys,
        scope: 'staff:s-1',
        key: 'k-1',
        method: 'POST',
        path: '/v1/gadgets',
        body: {},
        now: T0,
        run: async (tx) => {
          await flip(ctxOf(tx), 'g-2');
          throw new Error('response could not be built');
        },
      }),
    ).rejects.toThrow('response could not be built');
    expect(await database.db.select().from(gadgets).where(eq(gadgets.id, 'g-2'))).toEqual([]);
    expect(await eventsFor('g-2')).toEqual([]);
    expect(await database.db.select().from(idempotencyKeys)).toEqual([]);
  });

  it('rolls everything back when the verb fails after recording', async () => {
    await expect(flip(ctxOf(), 'g-3', true)).rejects.toThrow('late failure');
    expect(await eventsFor('g-3')).toEqual([]);
  });

  it('reports the undispatched backlog and the age of its oldest row', async () => {
    const backlog = await outboxBacklog({
      db: database.db,
      outbox,
      now: new Date(T0.getTime() + 90_000),
    });
    expect(backlog.pending).toBeGreaterThanOrEqual(1);
    expect(backlog.oldestAgeSeconds).toBe(90);
  });

  it('refuses to record an event outside a transaction', async () => {
    await expect(
      recordChange(ctxOf(), { aggregate: { type: 'gadget', id: 'x' }, type: 'gadget.x', data: {} }),
    ).rejects.toThrow(/inside withTransaction/);
  });
});

describe('updateVersioned', () => {
  const set = (id: string, versions: number[] | undefined, allowedFrom = ['on']) =>
    withTransaction(ctxOf(), (ctx) =>
      updateVersioned(ctx.db, {
        table: gadgets,
        id,
        versions,
        set: { status: 'off' },
        where: eq(gadgets.status, allowedFrom[0] ?? ''),
        refused: () => new ApiError({ status: 409, code: 'invalid_transition' }),
      }),
    );
  const codeOf = (p: Promise<unknown>) =>
    p.then(
      () => 'ok',
      (e: unknown) => (isApiError(e) ? e.code : String(e)),
    );

  it('bumps the version, and answers 404, 412 and the refusal without a blind write', async () => {
    await flip(ctxOf(), 'v-1');
    expect(await codeOf(set('nope', [1]))).toBe('not_found');
    expect(await codeOf(set('v-1', [7]))).toBe('version_conflict');
    expect(await codeOf(set('v-1', []))).toBe('version_conflict');
    expect(await codeOf(set('v-1', [1], ['broken']))).toBe('invalid_transition');
    expect(await set('v-1', [1])).toMatchObject({ status: 'off', version: 2 });
    expect(await codeOf(set('v-1', [1]))).toBe('version_conflict');
  });

  it('lets exactly one of several writers holding the same version win', async () => {
    await flip(ctxOf(), 'v-2');
    const results = await Promise.all(
      Array.from({ length: 5 }, () => codeOf(set('v-2', [1], ['on']))),
    );
    expect(results.filter((r) => r === 'ok')).toHaveLength(1);
    expect(results.filter((r) => r !== 'ok').every((r) => r === 'version_conflict')).toBe(true);
  });
});

describe('If-Match', () => {
  it('parses *, lists and weak tags per RFC 9110', () => {
    expect(parseIfMatch(undefined)).toBeUndefined();
    expect(parseIfMatch('*')).toEqual({ any: true });
    expect(parseIfMatch('"a.v1", W/"a.v2" ,"b.v3"')).toEqual({
      any: false,
      tags: ['"a.v1"', '"b.v3"'],
    });
    expect(parseIfMatch('W/"a.v1"')).toEqual({ any: false, tags: [] });
    for (const bad of ['a.v1', '"a', '""x', '*, "a"', '']) {
      expect(() => parseIfMatch(bad), bad).toThrow(ApiError);
    }
  });

  it('finds the versions of this resource only', () => {
    const ifMatch = parseIfMatch(`${etagOf({ id: 'a', version: 3 })}, "b.v4", "a.vx"`);
    expect(ifMatch && versionsFromIfMatch(ifMatch, 'a')).toEqual([3]);
    expect(versionsFromIfMatch({ any: true }, 'a')).toBeUndefined();
  });

  it('round-trips any entity tag it makes', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        (id, version) => {
          const tag = etagOf({ id, version });
          const parsed = parseIfMatch(tag);
          return parsed !== undefined && versionsFromIfMatch(parsed, id)?.[0] === version;
        },
      ),
    );
  });

  it('never throws anything but a 400 on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string(), (raw) => {
        try {
          parseIfMatch(raw);
          return true;
        } catch (e) {
          return isApiError(e) && e.status === 400;
        }
      }),
    );
  });

  it('requires If-Match on guarded routes with 428 precondition_required', () => {
    let missing: unknown;
    try {
      requireIfMatch({ headers: {} });
    } catch (e) {
      missing = e;
    }
    expect(missing).toMatchObject({ status: 428, code: 'precondition_required' });
    expect(requireIfMatch({ headers: { 'if-match': '*' } })).toEqual({ any: true });
  });
});

describe('uuidV7', () => {
  it('sorts by time and carries version 7', () => {
    const a = uuidV7(new Date('2030-01-01T00:00:00Z'));
    const b = uuidV7(new Date('2030-01-01T00:00:00.001Z'));
    expect(a < b).toBe(true);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
