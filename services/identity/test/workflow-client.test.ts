import { randomBytes } from 'node:crypto';
import type { ServiceInstance } from '@tongban/service-kit';
import { eq } from 'drizzle-orm';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { clients, departments, events } from '../src/db/schema.js';
import { ADMIN_PASSWORD, PUBLIC_URL, startTestApp, type TestApp } from './helpers/app.js';

const MASTER_KEY = randomBytes(32).toString('base64url');
const FIRST_SECRET = randomBytes(32).toString('base64url');
const env = (secret: string) => ({
  WORKFLOW_CLIENT_SECRET: secret,
  IDENTITY_MASTER_KEY: MASTER_KEY,
});

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp(env(FIRST_SECRET));
});
afterAll(() => t.close());

/** Identity started again on the same database, as a restart or a second replica would. */
async function restart(secret: string): Promise<ServiceInstance> {
  const config = loadConfig(
    {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      IDENTITY_PUBLIC_URLS: PUBLIC_URL,
      BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD,
      ...env(secret),
    },
    process.cwd(),
  );
  return buildApp({ config, database: t.database, clock: t.clock, webhookWorker: false });
}

const token = (app: ServiceInstance, secret: string) =>
  app.inject({
    method: 'POST',
    url: '/v1/auth/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: 'tb-workflow',
      client_secret: secret,
    }).toString(),
  });

const clientEvents = () =>
  t.database.db
    .select({ type: events.type, data: events.data, actor: events.actor })
    .from(events)
    .where(eq(events.aggregateId, 'tb-workflow'));

describe('the workflow client (WORKFLOW_CLIENT_SECRET)', () => {
  it('is made at start in the service centre, and gets a records:read token with its secret', async () => {
    const [department] = await t.database.db
      .select()
      .from(departments)
      .where(eq(departments.code, 'service_centre'));
    expect(department).toMatchObject({
      nameZh: '政务服务中心',
      nameEn: 'Government Service Centre',
    });
    const [client] = await t.database.db
      .select()
      .from(clients)
      .where(eq(clients.clientId, 'tb-workflow'));
    expect(client).toMatchObject({
      name: 'Tongban workflow (one-stop service)',
      departmentCode: 'service_centre',
      scopes: ['records:read'],
      disabledAt: null,
    });
    expect(client?.secretHash).not.toContain(FIRST_SECRET);

    const res = await token(t.app, FIRST_SECRET);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ token_type: 'Bearer', scope: 'records:read' });
    expect(decodeJwt(res.json().access_token)).toMatchObject({
      kind: 'client',
      sub: 'tb-workflow',
      department: 'service_centre',
      scope: 'records:read',
    });
    expect((await clientEvents()).filter((e) => e.type === 'client.created')).toEqual([
      {
        type: 'client.created',
        data: { clientId: 'tb-workflow', department: 'service_centre', scopes: ['records:read'] },
        actor: 'system',
      },
    ]);
  });

  it('starts again with the same secret and changes nothing; a changed secret replaces the stored one', async () => {
    const before = await clientEvents();
    expect(before).toHaveLength(1);
    const again = await restart(FIRST_SECRET);
    try {
      expect((await token(again, FIRST_SECRET)).statusCode).toBe(200);
      expect(await clientEvents()).toHaveLength(1);
      const centres = await t.database.db
        .select()
        .from(departments)
        .where(eq(departments.code, 'service_centre'));
      expect(centres).toHaveLength(1);
    } finally {
      await again.close();
    }

    const rotated = randomBytes(32).toString('base64url');
    const rotatedApp = await restart(rotated);
    try {
      expect((await token(rotatedApp, rotated)).statusCode).toBe(200);
      const old = await token(rotatedApp, FIRST_SECRET);
      expect(old.statusCode).toBe(401);
      expect(old.json()).toMatchObject({ code: 'invalid_client' });
      const recorded = await clientEvents();
      expect(recorded).toHaveLength(2);
      expect(recorded.find((e) => e.type === 'client.updated')).toEqual({
        type: 'client.updated',
        data: {
          clientId: 'tb-workflow',
          department: 'service_centre',
          scopes: ['records:read'],
          secretReplaced: true,
        },
        actor: 'system',
      });
      expect(JSON.stringify(recorded)).not.toContain(rotated);
    } finally {
      await rotatedApp.close();
    }
    // Back to the first secret, as every other test of this file started.
    await (await restart(FIRST_SECRET)).close();
  });
});
