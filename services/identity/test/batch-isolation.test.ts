import { randomBytes } from 'node:crypto';
import { signingKeys } from '@tongban/keys';
import { sql } from 'drizzle-orm';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signingKeys as signingKeysTable } from '../src/db/schema.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { adminToken, bearer, clerkIn, presentation, residentWithDevice } from './helpers/flow.js';

const MASTER_KEY = randomBytes(32);

interface Sent {
  readonly name: string;
  readonly payload: Record<string, unknown>;
}

describe('POST /v1/presentations/verify: a batch isolates its members', () => {
  let t: TestApp;
  let hostileClerk: string;
  let otherClerk: string;
  /** Claims of a real, live token: the template hostile tokens are minted from. */
  let template: Record<string, unknown>;
  /** Signs with the service's own active key, as only the service (or a stolen key) could. */
  let mint: (claims: Record<string, unknown>) => Promise<string>;
  /** One resident's device session, for fresh genuine tokens. */
  let residents: Awaited<ReturnType<typeof residentWithDevice>>[];

  beforeAll(async () => {
    t = await startTestApp({ IDENTITY_MASTER_KEY: MASTER_KEY.toString('base64url') });
    const admin = await adminToken(t.app);
    hostileClerk = (await clerkIn(t.app, admin)).token;
    otherClerk = (await clerkIn(t.app, admin)).token;
    residents = [];
    for (let i = 0; i < 10; i++) residents.push(await residentWithDevice(t, otherClerk));
    const first = residents[0];
    if (!first) throw new Error('no resident');
    const sample = await presentation(t.app, first.device, first.token);
    template = JSON.parse(Buffer.from(sample.split('.')[1] ?? '', 'base64url').toString());
    const store = signingKeys({
      service: 'identity',
      db: t.database.db,
      table: signingKeysTable,
      masterKey: MASTER_KEY,
      clock: t.clock,
      overlapMs: 60_000,
      maxAgeMs: 90 * 86_400_000,
    });
    const active = await store.signingKey();
    mint = (claims) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'EdDSA', typ: 'tb-presentation+jwt', kid: active.kid })
        .sign(active.privateKey);
  });
  afterAll(() => t.close());

  const fresh = async (i: number) => {
    const r = residents[i % residents.length];
    if (!r) throw new Error('no resident');
    return presentation(t.app, r.device, r.token);
  };
  const jti = () => randomBytes(12).toString('base64url');
  const send = (clerk: string, payload: Record<string, unknown>) =>
    t.app.inject({
      method: 'POST',
      url: '/v1/presentations/verify',
      headers: bearer(clerk),
      payload,
    });

  it('answers every valid verification 200 while hostile ones interleave, each hostile one a 4xx problem (defect 3)', async () => {
    const valid: Sent[] = [];
    for (let i = 0; i < 100; i++) {
      valid.push({
        name: `valid ${i}`,
        payload: { token: await fresh(i), counter: `窗口 ${i % 7} · window ${i % 7}` },
      });
    }
    const replayed = await fresh(0);
    expect((await send(hostileClerk, { token: replayed })).statusCode).toBe(200);
    const wrongDevice = { ...template, jti: jti(), cnf: { kid: 'AAAAAAAAAAA' } };
    const hostile: Sent[] = [
      { name: 'U+0000 in counter', payload: { token: await fresh(1), counter: 'window\u00003' } },
      {
        name: 'bidi override in counter',
        payload: { token: await fresh(2), counter: '\u202Ewodniw' },
      },
      { name: 'bidi isolate in counter', payload: { token: await fresh(3), counter: 'a\u2066b' } },
      { name: 'C1 control in counter', payload: { token: await fresh(4), counter: 'a\u0085b' } },
      {
        name: 'lone surrogate in counter',
        payload: { token: await fresh(5), counter: 'a\uD800b' },
      },
      { name: 'tab in counter', payload: { token: await fresh(6), counter: 'a\tb' } },
      {
        name: '10k-character counter',
        payload: { token: await fresh(7), counter: 'x'.repeat(10_000) },
      },
      { name: '10k-character token', payload: { token: 'a'.repeat(10_000) } },
      { name: 'U+0000 in token', payload: { token: `${await fresh(8)}\u0000` } },
      {
        name: 'sl = 2^31, real key',
        payload: { token: await mint({ ...template, jti: jti(), sl: 2 ** 31 }) },
      },
      {
        name: 'sl = 2^53 − 1, real key',
        payload: { token: await mint({ ...template, jti: jti(), sl: Number.MAX_SAFE_INTEGER }) },
      },
      {
        name: 'U+0000 in jti, real key',
        payload: { token: await mint({ ...template, jti: 'AAAAAAAAAAAAAAA\u0000' }) },
      },
      {
        name: 'exp past year 9999, real key',
        payload: {
          token: await mint({ ...template, jti: jti(), iat: 2 ** 40, exp: 2 ** 40 + 60 }),
        },
      },
      // Schema-valid and well-formed: these reach the shared statement and are refused by it.
      {
        name: 'unknown subject, real key',
        payload: {
          token: await mint({
            ...template,
            jti: jti(),
            sub: randomBytes(12).toString('base64url'),
          }),
        },
      },
      {
        name: 'largest index, no credential, real key',
        payload: { token: await mint({ ...template, jti: jti(), sl: 2 ** 31 - 1 }) },
      },
      { name: 'another device key, real key', payload: { token: await mint(wrongDevice) } },
      { name: 'replayed code', payload: { token: replayed, counter: 'window 9' } },
    ];

    // Interleaved and all in flight at once, so hostile and valid members share batches.
    const order: { sent: Sent; hostile: boolean }[] = [];
    valid.forEach((sent, i) => {
      order.push({ sent, hostile: false });
      const h = hostile[i % 6 === 0 ? i / 6 : -1];
      if (h) order.push({ sent: h, hostile: true });
    });
    expect(order.filter((o) => o.hostile)).toHaveLength(hostile.length);
    const answers = await Promise.all(
      order.map((o) => send(o.hostile ? hostileClerk : otherClerk, o.sent.payload)),
    );

    const outcome = order.map((o, i) => ({
      name: o.sent.name,
      hostile: o.hostile,
      status: answers[i]?.statusCode,
      type: answers[i]?.headers['content-type'],
      code: o.hostile ? answers[i]?.json().code : undefined,
    }));
    expect(outcome.filter((o) => !o.hostile && o.status !== 200)).toEqual([]);
    for (const o of outcome.filter((x) => x.hostile)) {
      expect(o.status, o.name).toBeGreaterThanOrEqual(400);
      expect(o.status, o.name).toBeLessThan(500);
      expect(o.type, o.name).toMatch(/^application\/problem\+json/);
    }
    const codes = Object.fromEntries(outcome.filter((o) => o.hostile).map((o) => [o.name, o.code]));
    expect(codes).toMatchObject({
      'U+0000 in counter': 'validation_failed',
      'bidi override in counter': 'validation_failed',
      'lone surrogate in counter': 'validation_failed',
      '10k-character counter': 'validation_failed',
      'sl = 2^31, real key': 'malformed_token',
      'unknown subject, real key': 'signature_invalid',
      'another device key, real key': 'device_revoked',
      'replayed code': 'presentation_replayed',
    });
  });

  it('names the refused field', async () => {
    const res = await send(hostileClerk, { token: await fresh(9), counter: 'a\u0000' });
    expect(res.statusCode).toBe(400);
    expect(JSON.stringify(res.json())).toContain('counter');
  });

  it('retries members alone when their shared statement fails, so only the failing one errs', async () => {
    // A real database refusal no input check knows about: the statement fails for the batch.
    await t.database.db.execute(
      sql.raw(
        "alter table identity.verifications add constraint test_poison check (counter is distinct from 'poison')",
      ),
    );
    try {
      const payloads: { payload: Record<string, unknown>; poison: boolean }[] = [];
      for (let i = 0; i < 20; i++) {
        payloads.push({
          payload: { token: await fresh(i), counter: `window ${i}` },
          poison: false,
        });
        if (i === 10)
          payloads.push({ payload: { token: await fresh(i), counter: 'poison' }, poison: true });
      }
      const answers = await Promise.all(payloads.map((p) => send(otherClerk, p.payload)));
      const statuses = payloads.map((p, i) => ({
        poison: p.poison,
        status: answers[i]?.statusCode,
      }));
      expect(statuses.filter((s) => !s.poison && s.status !== 200)).toEqual([]);
      expect(statuses.find((s) => s.poison)?.status).toBe(500);
    } finally {
      await t.database.db.execute(
        sql.raw('alter table identity.verifications drop constraint test_poison'),
      );
    }
  });
});
