import { randomBytes, randomUUID } from 'node:crypto';
import type { Database } from '@tongban/db';
import type { ServiceInstance } from '@tongban/service-kit';
import { type TestIssuer, testIssuer } from '@tongban/test-tokens';
import { eventually, startSubscriber } from '@tongban/testing';
import { dispatchOutbox, type MayReceive } from '@tongban/webhooks';
import { and, eq, isNull } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { accessPolicies, deliveries, events, outbox, subscriptions } from '../src/db/schema.js';
import {
  birthData,
  birthRecordType,
  type NewRecordType,
  recordWriters,
  subjects,
} from './helpers/record-writers.js';
import { type SharedDatabase, sharedDatabase } from './helpers/shared-database.js';

// Real time throughout: the service, its delivery worker and every token read the system clock.
const clock = () => new Date();
const sealKey = randomBytes(32);
const RECORD_EVENTS = ['record.published', 'record.superseded', 'record.revoked'];

const householdType: NewRecordType = {
  code: 'household_registration',
  name: { zh: '户口登记', en: 'Household registration' },
  fieldSchema: {
    type: 'object',
    properties: { address: { type: 'string' }, householdHead: { type: 'string' } },
    required: ['address'],
    additionalProperties: false,
  },
  classification: { address: 'personal', householdHead: 'personal' },
};

interface Delivered {
  readonly id: string;
  readonly type: string;
  readonly data: Record<string, unknown>;
}

describe('record events reach only departments allowed to read the type', {
  timeout: 120_000,
}, () => {
  let shared: SharedDatabase;
  let database: Database;
  let writer: ServiceInstance;
  let issuer: TestIssuer;
  let w: ReturnType<typeof recordWriters>;
  let subscriber: Awaited<ReturnType<typeof startSubscriber>>;
  const subscriptionOf: Record<string, string> = {};
  // One subscriber per department, each to every record event.
  const subscriptionOfDepartments = {
    health: 'issues birth records',
    civil_affairs: 'holds an active policy for birth records',
    market_regulation: 'holds only a withdrawn policy for birth records',
    public_security: 'issues household registrations, no policy for birth records',
  };

  // A replica that only serves requests, and (built per phase) replicas that deliver.
  const build = (delivering: boolean) =>
    buildApp({
      config: loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' }, process.cwd()),
      database,
      clock,
      keyResolver: issuer.keyResolver,
      masterKey: randomBytes(32),
      webhookSealKey: sealKey,
      webhookWorker: delivering ? { intervalMs: 10 } : false,
    });

  const received = (department: string): Delivered[] =>
    subscriber.at(`/${department}`).map((call) => {
      const body = JSON.parse(call.body) as { type: string; data: Record<string, unknown> };
      return { id: String(call.headers['webhook-id']), type: body.type, data: body.data };
    });
  const eventIdOf = async (recordId: string, type: string) => {
    const [row] = await database.db
      .select({ id: events.id })
      .from(events)
      .where(and(eq(events.aggregateId, recordId), eq(events.type, type)));
    if (!row) throw new Error(`no ${type} for ${recordId}`);
    return row.id;
  };
  const deliveryFor = async (eventId: string, department: string) => {
    const [row] = await database.db
      .select()
      .from(deliveries)
      .where(
        and(
          eq(deliveries.eventId, eventId),
          eq(deliveries.subscriptionId, subscriptionOf[department] as string),
        ),
      );
    return row;
  };
  const dispatched = async (eventId: string) => {
    const [row] = await database.db.select().from(outbox).where(eq(outbox.eventId, eventId));
    // Dispatched rows may already be swept; a present row must be dispatched.
    return row === undefined || row.dispatchedAt !== null;
  };

  beforeAll(async () => {
    shared = await sharedDatabase();
    database = await shared.open();
    issuer = await testIssuer(clock);
    writer = await build(false);
    w = recordWriters(writer, issuer);
    subscriber = await startSubscriber({
      '/health': () => 200,
      '/civil_affairs': () => 200,
      '/market_regulation': () => 200,
      '/public_security': () => 200,
    });
    await w.declare(birthRecordType, 'health');
    await w.declare(householdType, 'public_security');
    for (const department of Object.keys(subscriptionOfDepartments)) {
      const res = await writer.inject({
        method: 'POST',
        url: '/v1/subscriptions',
        headers: { authorization: `Bearer ${await issuer.client(department)}` },
        payload: { url: subscriber.url(`/${department}`), eventTypes: RECORD_EVENTS },
      });
      expect(res.statusCode).toBe(201);
      subscriptionOf[department] = res.json().id;
    }
    // Access policies are inserted directly: their API is another piece of the records issue.
    // Civil affairs may read birth records (marriage registration checks a party's birth);
    // market regulation once could, but that policy is withdrawn.
    const now = clock();
    await database.db.insert(accessPolicies).values([
      {
        id: randomUUID(),
        readerDepartment: 'civil_affairs',
        typeCode: 'birth_record',
        purpose: 'marriage_registration',
        fields: ['childName', 'birthDate'],
        consentRequired: false,
        createdBy: 'staff:test',
        createdAt: now,
      },
      {
        id: randomUUID(),
        readerDepartment: 'market_regulation',
        typeCode: 'birth_record',
        purpose: 'licensing',
        fields: ['childName'],
        consentRequired: false,
        createdBy: 'staff:test',
        createdAt: now,
        withdrawnAt: now,
      },
    ]);
  });
  afterAll(async () => {
    await subscriber.close();
    await writer.close();
    await shared.close();
  });

  const publish = async (type: string, department: string, data: Record<string, unknown>) => {
    const res = await w.client(await w.system(department)).POST('/v1/records', {
      body: { type, subjectId: subjects.zhang, data },
    });
    if (!res.data) throw new Error(`publish ${type}: ${res.response.status}`);
    return { record: res.data, etag: res.response.headers.get('etag') as string };
  };

  it('a subscriber sees record.published and record.superseded for an allowed type, and nothing for a type its department may not read', async () => {
    const birth = await publish('birth_record', 'health', birthData);
    const amended = await w.client(await w.system('health')).PUT('/v1/records/{id}', {
      params: { path: { id: birth.record.id }, header: { 'if-match': birth.etag } },
      body: { data: { ...birthData, birthWeightGrams: 3300 } },
    });
    expect(amended.response.status).toBe(200);
    const household = await publish('household_registration', 'public_security', {
      address: '北京市东城区东华门街道1号',
      householdHead: '张伟',
    });
    const published = await eventIdOf(birth.record.id, 'record.published');
    const superseded = await eventIdOf(birth.record.id, 'record.superseded');
    const registered = await eventIdOf(household.record.id, 'record.published');

    const replica = await build(true);
    try {
      await replica.ready();
      await eventually(
        async () => {
          const done = await Promise.all([
            deliveryFor(published, 'health'),
            deliveryFor(superseded, 'health'),
            deliveryFor(published, 'civil_affairs'),
            deliveryFor(superseded, 'civil_affairs'),
            deliveryFor(registered, 'public_security'),
          ]);
          const all = done.every((d) => d?.status === 'delivered');
          return all && (await dispatched(registered)) ? true : undefined;
        },
        { what: 'the allowed deliveries' },
      );
    } finally {
      await replica.close();
    }

    // Deliveries are not ordered among themselves; event ids (UUIDv7) sort by time.
    for (const department of ['health', 'civil_affairs']) {
      expect(received(department).toSorted((a, b) => a.id.localeCompare(b.id))).toEqual([
        {
          id: published,
          type: 'record.published',
          data: {
            aggregate: { type: 'record', id: birth.record.id, version: 1 },
            recordId: birth.record.id,
            type: 'birth_record',
            version: 1,
            digest: birth.record.digest,
          },
        },
        {
          id: superseded,
          type: 'record.superseded',
          data: {
            aggregate: { type: 'record', id: birth.record.id, version: 2 },
            recordId: birth.record.id,
            type: 'birth_record',
            previousVersion: 1,
            version: 2,
            digest: amended.data?.digest,
          },
        },
      ]);
    }
    // No record field leaves in an event, nor whose record it is.
    expect(JSON.stringify(subscriber.received)).not.toContain('张小雨');
    expect(JSON.stringify(subscriber.received)).not.toContain(subjects.zhang);
    // Public security issues household registrations and may not read birth records.
    expect(received('public_security').map((e) => e.id)).toEqual([registered]);
    // Market regulation's policy is withdrawn: nothing at all, and no delivery waiting.
    expect(received('market_regulation')).toEqual([]);
    for (const eventId of [published, superseded, registered]) {
      expect(await deliveryFor(eventId, 'market_regulation')).toBeUndefined();
    }
    expect(await deliveryFor(registered, 'civil_affairs')).toBeUndefined();
    expect(await deliveryFor(registered, 'health')).toBeUndefined();
  });

  it('decides at dispatch: a policy withdrawn after the event but before its dispatch stops the delivery', async () => {
    const before = received('civil_affairs').length;
    const birth = await publish('birth_record', 'health', { ...birthData, childName: '张小雪' });
    const published = await eventIdOf(birth.record.id, 'record.published');
    // No replica delivers now; the policy is withdrawn while the event waits in the outbox.
    await database.db
      .update(accessPolicies)
      .set({ withdrawnAt: clock() })
      .where(
        and(
          eq(accessPolicies.readerDepartment, 'civil_affairs'),
          eq(accessPolicies.typeCode, 'birth_record'),
          isNull(accessPolicies.withdrawnAt),
        ),
      );
    const replica = await build(true);
    try {
      await replica.ready();
      await eventually(
        async () =>
          (await deliveryFor(published, 'health'))?.status === 'delivered' &&
          (await dispatched(published))
            ? true
            : undefined,
        { what: 'the issuer to get the event' },
      );
    } finally {
      await replica.close();
    }
    expect(received('health').map((e) => e.id)).toContain(published);
    expect(await deliveryFor(published, 'civil_affairs')).toBeUndefined();
    expect(received('civil_affairs')).toHaveLength(before);
  });

  it('asks a mayReceive rule once per dispatch batch, inside the dispatch transaction, and fans out only what it allows', async () => {
    const first = await publish('household_registration', 'public_security', { address: '一号' });
    const second = await publish('household_registration', 'public_security', { address: '二号' });
    const ids = [
      await eventIdOf(first.record.id, 'record.published'),
      await eventIdOf(second.record.id, 'record.published'),
    ];
    const batches: string[][] = [];
    // A rule of its own, not records': only the first event, only to public security.
    const onlyFirst: MayReceive = async ({ db, events: batch }) => {
      // The batch's rows are locked by this transaction; reading them through `db` works.
      const rows = await db.select().from(subscriptions);
      expect(rows.length).toBeGreaterThan(0);
      batches.push(batch.map((e) => e.eventId));
      return (event, subscription) =>
        event.eventId === ids[0] && subscription.id === subscriptionOf.public_security;
    };
    await dispatchOutbox({
      db: database.db,
      tables: { outbox, subscriptions, deliveries },
      now: clock(),
      mayReceive: onlyFirst,
    });
    expect(batches).toHaveLength(1);
    expect(batches[0]).toEqual(expect.arrayContaining(ids));
    expect(await deliveryFor(ids[0] as string, 'public_security')).toMatchObject({
      status: 'pending',
    });
    expect(await deliveryFor(ids[1] as string, 'public_security')).toBeUndefined();
    expect(await dispatched(ids[1] as string)).toBe(true);
  });
});
