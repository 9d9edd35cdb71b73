import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Database } from '@tongban/db';
import type { ServiceInstance } from '@tongban/service-kit';
import { type TestIssuer, testIssuer } from '@tongban/test-tokens';
import { eventually, startSubscriber } from '@tongban/testing';
import {
  createWebhookWorker,
  type DeliveryOutcome,
  deliverDue,
  dispatchOutbox,
  httpSender,
  type RetryPolicy,
} from '@tongban/webhooks';
import { and, eq, sql } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { deliveries, events, outbox, subscriptions } from '../src/db/schema.js';
import { type SharedDatabase, sharedDatabase } from './helpers/shared-database.js';

// This file runs on real time everywhere: the service, the tokens, the workers and the
// standardwebhooks verifier (which reads the system clock) all read the same clock.
const clock = () => new Date();
const tables = { outbox, subscriptions, deliveries };
const fastRetry: RetryPolicy = { baseMs: 1, capMs: 5, maxAttempts: 10 };
const send = httpSender({ timeoutMs: 30_000, allowPrivateAddresses: true });
const sealKey = randomBytes(32);
const onServer = process.env.DATABASE_URL !== undefined && process.env.DATABASE_URL !== '';

describe('webhooks from the records outbox', { timeout: 120_000 }, () => {
  let shared: SharedDatabase;
  let replicaA: Database;
  let replicaB: Database;
  let appA: ServiceInstance;
  let appB: ServiceInstance;
  let issuer: TestIssuer;
  let subscriber: Awaited<ReturnType<typeof startSubscriber>>;
  let failedSoFar = 0;

  const build = (database: Database, env: Record<string, string> = {}) =>
    buildApp({
      config: loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env }, process.cwd()),
      database,
      clock,
      keyResolver: issuer.keyResolver,
      masterKey: randomBytes(32),
      webhookSealKey: sealKey,
      webhookWorker: false,
    });

  beforeAll(async () => {
    shared = await sharedDatabase();
    replicaA = await shared.open();
    replicaB = await shared.open();
    issuer = await testIssuer(clock);
    appA = await build(replicaA);
    appB = await build(replicaB);
    subscriber = await startSubscriber({
      '/flaky': (previous) => {
        if (previous < 3) failedSoFar++;
        return previous < 3 ? 500 : 204;
      },
      '/a': () => 200,
      '/b': () => 200,
      '/dead': () => 503,
      '/hold': (previous) => (previous === 0 ? 'hold' : 200),
      '/stall': () => 200,
      '/loop': () => 200,
    });
  });
  afterAll(async () => {
    await subscriber.close();
    await appA.close();
    await appB.close();
    await shared.close();
  });

  const subscribe = async (
    app: ServiceInstance,
    path: string,
    eventTypes = ['record_type.created'],
    department = 'health',
  ) => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/subscriptions',
      headers: { authorization: `Bearer ${await issuer.client(department)}` },
      payload: { url: subscriber.url(path), eventTypes },
    });
    expect(res.statusCode).toBe(201);
    return res.json() as { id: string; secret: string };
  };
  const unsubscribe = async (id: string) => {
    const res = await appA.inject({
      method: 'DELETE',
      url: `/v1/subscriptions/${id}`,
      headers: { authorization: `Bearer ${await issuer.client('health')}` },
    });
    expect(res.statusCode).toBe(204);
  };
  let seq = 0;
  const createRecordType = async (app: ServiceInstance) => {
    const code = `kind_${++seq}_${randomBytes(3).toString('hex')}`;
    const res = await app.inject({
      method: 'POST',
      url: '/v1/record-types',
      headers: { authorization: `Bearer ${await issuer.staff('health', ['department_admin'])}` },
      payload: {
        code,
        name: { zh: '类型', en: 'Kind' },
        fieldSchema: { type: 'object', properties: { a: { type: 'string' } } },
        classification: { a: 'basic' },
      },
    });
    expect(res.statusCode).toBe(201);
    const [event] = await replicaA.db
      .select()
      .from(events)
      .where(and(eq(events.aggregateType, 'record_type'), eq(events.aggregateId, code)));
    if (event === undefined) throw new Error('no event recorded');
    return event.id;
  };
  const deliveryOf = async (eventId: string, subscriptionId: string) => {
    const [row] = await replicaA.db
      .select()
      .from(deliveries)
      .where(and(eq(deliveries.eventId, eventId), eq(deliveries.subscriptionId, subscriptionId)));
    return row;
  };
  const pass = (database: Database, retry = fastRetry, leaseMs = 30_000) =>
    dispatchOutbox({ db: database.db, tables, now: clock() }).then(() =>
      deliverDue({ db: database.db, tables, sealKey, send, now: clock, leaseMs, retry }),
    );

  it('retries a failing subscriber with the same event id until it succeeds, signed per Standard Webhooks', async () => {
    const { id, secret } = await subscribe(appA, '/flaky');
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const eventId = await createRecordType(appA);

    await eventually(
      async () => {
        await pass(replicaA);
        return (await deliveryOf(eventId, id))?.status === 'delivered' ? true : undefined;
      },
      { what: 'the flaky subscriber to get the event' },
    );

    const calls = subscriber.at('/flaky');
    expect(calls.map((c) => c.answered)).toEqual([500, 500, 500, 204]);
    expect(failedSoFar).toBe(3);
    expect(new Set(calls.map((c) => c.headers['webhook-id']))).toEqual(new Set([eventId]));
    const last = calls.at(-1);
    if (last === undefined) throw new Error('unreachable');
    const verified = new Webhook(secret).verify(last.body, {
      'webhook-id': String(last.headers['webhook-id']),
      'webhook-timestamp': String(last.headers['webhook-timestamp']),
      'webhook-signature': String(last.headers['webhook-signature']),
    });
    expect(verified).toMatchObject({
      type: 'record_type.created',
      data: { aggregate: { type: 'record_type' }, issuerDepartment: 'health' },
    });
    expect(typeof (verified as { timestamp: unknown }).timestamp).toBe('string');
    // Signed with another subscription's secret, the same request does not verify.
    expect(() =>
      new Webhook(`whsec_${randomBytes(32).toString('base64')}`).verify(last.body, {
        'webhook-id': String(last.headers['webhook-id']),
        'webhook-timestamp': String(last.headers['webhook-timestamp']),
        'webhook-signature': String(last.headers['webhook-signature']),
      }),
    ).toThrow();
    expect(await deliveryOf(eventId, id)).toMatchObject({ attempts: 4, lastStatusCode: 204 });
    await unsubscribe(id);
  });

  it('delivers each event to each subscriber exactly once from two replicas on one database', async () => {
    const a = await subscribe(appA, '/a');
    const b = await subscribe(appB, '/b');
    const eventIds: string[] = [];
    for (let i = 0; i < 12; i++) eventIds.push(await createRecordType(i % 2 === 0 ? appA : appB));

    const workers = [replicaA, replicaB].map((database) =>
      createWebhookWorker({
        db: database.db,
        tables,
        sealKey,
        send,
        now: clock,
        intervalMs: 1,
        leaseMs: 30_000,
        retry: fastRetry,
      }),
    );
    const outcomes: DeliveryOutcome[][] = [[], []];
    const allDelivered = async () => {
      const rows = await replicaA.db
        .select({ status: deliveries.status })
        .from(deliveries)
        .where(sql`${deliveries.subscriptionId} in (${a.id}::uuid, ${b.id}::uuid)`);
      return rows.length === 24 && rows.every((r) => r.status === 'delivered') ? true : undefined;
    };
    // Both replicas run passes concurrently until everything is out.
    await Promise.all(
      workers.map(async (worker, i) => {
        await eventually(async () => {
          outcomes[i]?.push(...(await worker.runOnce()));
          return allDelivered();
        });
      }),
    );

    for (const path of ['/a', '/b']) {
      const ids = subscriber.at(path).map((c) => String(c.headers['webhook-id']));
      expect(ids.toSorted()).toEqual(eventIds.toSorted());
      expect(new Set(ids).size).toBe(ids.length);
    }
    expect(outcomes.flat().filter((o) => o.status === 'delivered')).toHaveLength(24);
    await unsubscribe(a.id);
    await unsubscribe(b.id);
  });

  it('dead-letters a delivery after the maximum number of attempts', async () => {
    const { id } = await subscribe(appA, '/dead');
    const eventId = await createRecordType(appA);
    const retry = { baseMs: 1, capMs: 2, maxAttempts: 3 };
    await eventually(async () => {
      await pass(replicaA, retry);
      return (await deliveryOf(eventId, id))?.status === 'dead' ? true : undefined;
    });
    // Further passes leave it alone.
    await pass(replicaA, retry);
    expect(subscriber.at('/dead')).toHaveLength(3);
    expect(await deliveryOf(eventId, id)).toMatchObject({
      status: 'dead',
      attempts: 3,
      lastStatusCode: 503,
    });
    await unsubscribe(id);
  });

  it('runs the delivery loop in the app from ready until close', async () => {
    const looping = await buildApp({
      config: loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' }, process.cwd()),
      database: replicaB,
      clock,
      keyResolver: issuer.keyResolver,
      masterKey: randomBytes(32),
      webhookSealKey: sealKey,
      webhookWorker: { intervalMs: 10 },
    });
    try {
      await looping.ready();
      const { id } = await subscribe(looping, '/loop');
      const eventId = await createRecordType(looping);
      await eventually(async () =>
        (await deliveryOf(eventId, id))?.status === 'delivered' ? true : undefined,
      );
      expect(subscriber.at('/loop').map((c) => c.headers['webhook-id'])).toEqual([eventId]);
      await unsubscribe(id);
    } finally {
      await looping.close();
    }
  });

  it.skipIf(!onServer)(
    'delivers again, with the same event id, a delivery whose worker was killed mid-request',
    async () => {
      const { id } = await subscribe(appA, '/hold');
      const eventId = await createRecordType(appA);
      await dispatchOutbox({ db: replicaA.db, tables, now: clock() });
      const leaseMs = 1_500;
      const testUrl = shared.test.kind === 'postgres' ? shared.test.url : '';
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', fileURLToPath(new URL('./fixtures/deliver-once.ts', import.meta.url))],
        {
          cwd: fileURLToPath(new URL('../../../', import.meta.url)),
          env: {
            ...process.env,
            RECORDS_DATABASE_URL: testUrl,
            WEBHOOK_SEAL_KEY: sealKey.toString('base64url'),
            LEASE_MS: String(leaseMs),
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        child.on('exit', (_code, signal) => resolve(signal)),
      );
      // The subscriber holds the child's request open: the child has claimed the delivery.
      await eventually(async () => (subscriber.at('/hold').length > 0 ? true : undefined), {
        what: 'the child worker to send',
      });
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      expect(await deliveryOf(eventId, id)).toMatchObject({ status: 'pending', attempts: 1 });

      await eventually(async () => {
        await pass(replicaB, fastRetry, leaseMs);
        return (await deliveryOf(eventId, id))?.status === 'delivered' ? true : undefined;
      });
      const calls = subscriber.at('/hold');
      expect(calls.map((c) => c.answered)).toEqual(['held', 200]);
      expect(calls.map((c) => c.headers['webhook-id'])).toEqual([eventId, eventId]);
      await unsubscribe(id);
    },
  );

  it('takes over a delivery whose worker stopped answering once its lease lapses', async () => {
    const { id } = await subscribe(appA, '/stall');
    const eventId = await createRecordType(appA);
    await dispatchOutbox({ db: replicaA.db, tables, now: clock() });
    const leaseMs = 1_500;
    // A worker that claims and then never finishes (its sender never returns), like a hung replica.
    const hung = deliverDue({
      db: replicaA.db,
      tables,
      sealKey,
      send: () => new Promise(() => {}),
      now: clock,
      leaseMs,
      retry: fastRetry,
    });
    hung.catch(() => {});
    await eventually(async () =>
      (await deliveryOf(eventId, id))?.attempts === 1 ? true : undefined,
    );
    await eventually(async () => {
      await pass(replicaB, fastRetry, leaseMs);
      return (await deliveryOf(eventId, id))?.status === 'delivered' ? true : undefined;
    });
    const calls = subscriber.at('/stall');
    expect(calls.map((c) => c.headers['webhook-id'])).toEqual([eventId]);
    expect(await deliveryOf(eventId, id)).toMatchObject({ attempts: 2 });
    await unsubscribe(id);
  });

  describe('GET|POST|DELETE /v1/subscriptions', () => {
    const as = async (
      token: string,
      method: 'GET' | 'POST' | 'DELETE',
      url: string,
      payload?: unknown,
    ) =>
      appA.inject({
        method,
        url,
        headers: { authorization: `Bearer ${token}` },
        ...(payload === undefined ? {} : { payload: payload as object }),
      });

    it('lists only the caller’s department, pages with a cursor, and hides the secret', async () => {
      const admin = await issuer.staff('civil_affairs', ['department_admin']);
      const made: string[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await as(admin, 'POST', '/v1/subscriptions', {
          url: subscriber.url(`/list-${i}`),
          eventTypes: ['subscription.created'],
        });
        expect(res.statusCode).toBe(201);
        expect(res.headers.location).toBe(`/v1/subscriptions/${res.json().id}`);
        made.push(res.json().id);
      }
      const first = await as(admin, 'GET', '/v1/subscriptions?limit=2');
      expect(first.statusCode).toBe(200);
      expect(first.json().items).toHaveLength(2);
      expect(first.json().items[0].secret).toBeUndefined();
      const second = await as(
        admin,
        'GET',
        `/v1/subscriptions?limit=2&cursor=${first.json().nextCursor}`,
      );
      const ids = [...first.json().items, ...second.json().items].map((s: { id: string }) => s.id);
      expect(ids).toEqual(made);
      expect(second.json().nextCursor).toBeNull();
      const health = await as(await issuer.client('health'), 'GET', '/v1/subscriptions');
      expect(health.json().items.map((s: { id: string }) => s.id)).not.toContain(made[0]);

      const types = await replicaA.db
        .select({ type: events.type })
        .from(events)
        .where(eq(events.aggregateId, made[0] as string));
      expect(types).toEqual([{ type: 'subscription.created' }]);
    });

    it('answers 404 for another department’s subscription and records the deletion once', async () => {
      const mine = await subscribe(appA, '/x', ['record_type.created'], 'health');
      const other = await as(
        await issuer.staff('civil_affairs', ['department_admin']),
        'DELETE',
        `/v1/subscriptions/${mine.id}`,
      );
      expect(other.statusCode).toBe(404);
      expect(other.json().code).toBe('not_found');
      await unsubscribe(mine.id);
      const again = await as(
        await issuer.client('health'),
        'DELETE',
        `/v1/subscriptions/${mine.id}`,
      );
      expect(again.statusCode).toBe(404);
      const types = await replicaA.db
        .select({ type: events.type })
        .from(events)
        .where(eq(events.aggregateId, mine.id));
      expect(types.map((t) => t.type).sort()).toEqual([
        'subscription.created',
        'subscription.deleted',
      ]);
    });

    it('refuses residents and staff without department_admin (403) and anonymous callers (401)', async () => {
      const body = { url: subscriber.url('/r'), eventTypes: ['record_type.created'] };
      const resident = await as(await issuer.resident(), 'POST', '/v1/subscriptions', body);
      expect(resident.statusCode).toBe(403);
      expect((await as(await issuer.resident(), 'GET', '/v1/subscriptions')).statusCode).toBe(403);
      const clerk = await as(
        await issuer.staff('health', ['counter_clerk']),
        'POST',
        '/v1/subscriptions',
        body,
      );
      expect(clerk.statusCode).toBe(403);
      expect(clerk.json().code).toBe('forbidden');
      const anonymous = await appA.inject({ method: 'GET', url: '/v1/subscriptions' });
      expect(anonymous.statusCode).toBe(401);
    });

    it('refuses internal and plain-http URLs in production, and allows them in test configuration', async () => {
      const production = await build(replicaA, {
        NODE_ENV: 'production',
        RECORDS_MASTER_KEY: randomBytes(32).toString('base64url'),
      });
      try {
        const token = await issuer.client('health');
        for (const url of [
          'https://127.0.0.1/hook',
          'https://localhost/hook',
          'https://10.1.2.3/hook',
          'https://172.20.0.1/hook',
          'https://192.168.1.1/hook',
          'https://100.64.0.1/hook',
          'https://169.254.169.254/latest/meta-data',
          'https://0.0.0.0/hook',
          'https://[::1]/hook',
          'https://[::]/hook',
          'https://[fd12:3456::1]/hook',
          'https://[fe80::1]/hook',
          'https://[::ffff:127.0.0.1]/hook',
          'https://[::ffff:a00:1]/hook',
          'http://93.184.216.34/hook',
          'ftp://93.184.216.34/hook',
        ]) {
          const res = await production.inject({
            method: 'POST',
            url: '/v1/subscriptions',
            headers: { authorization: `Bearer ${token}` },
            payload: { url, eventTypes: ['record_type.created'] },
          });
          expect(res.statusCode, url).toBe(400);
          expect(res.json().code).toBe('validation_failed');
          expect(res.json().errors[0].field).toBe('body.url');
        }
      } finally {
        await production.close();
      }
      const allowed = await as(await issuer.client('health'), 'POST', '/v1/subscriptions', {
        url: 'http://127.0.0.1:9/hook',
        eventTypes: ['record_type.created'],
      });
      expect(allowed.statusCode).toBe(201);
      await unsubscribe(allowed.json().id);
    });

    it('refuses, at delivery, to connect to an internal address unless allowed', async () => {
      const strict = httpSender({ timeoutMs: 10_000, allowPrivateAddresses: false });
      const before = subscriber.received.length;
      for (const url of [subscriber.url('/a'), `http://localhost:${subscriber.port}/a`]) {
        const result = await strict({ url, headers: {}, body: '{}' });
        expect('error' in result && result.error, url).toMatch(/internal address/);
      }
      expect(subscriber.received.length).toBe(before);
      expect(await send({ url: subscriber.url('/a'), headers: {}, body: '{}' })).toEqual({
        status: 200,
      });
    });
  });
});
