import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createWorkflowClient, type WorkflowClient } from '@tongban/clients';
import { injectFetch } from '@tongban/clients/testing';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { events, serviceDefinitions } from '../src/db/schema.js';
import { publishCatalogue, readCatalogue } from '../src/domain/services/load-catalogue.js';
import { startTestApp, type TestApp } from './helpers/app.js';

const shipped = fileURLToPath(new URL('../catalogue', import.meta.url));
const clock = () => new Date('2026-03-02T08:00:00Z');

async function copyOfShipped(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'catalogue-'));
  await cp(shipped, dir, { recursive: true });
  return dir;
}

async function editFile(dir: string, code: string, edit: (d: Record<string, unknown>) => void) {
  const file = join(dir, `${code}.json`);
  const definition = JSON.parse(await readFile(file, 'utf8'));
  edit(definition);
  await writeFile(file, JSON.stringify(definition, null, 2));
}

describe('the shipped catalogue', () => {
  it('is the default catalogue directory and holds the three demo services', async () => {
    expect(loadConfig({ NODE_ENV: 'test' }, '/').catalogueDir).toBe(shipped);
    const definitions = await readCatalogue(shipped);
    expect(definitions.map((d) => d.code)).toEqual([
      'marriage_registration',
      'newborn_registration',
      'open_restaurant',
    ]);
  });
});

describe('publishing the catalogue at start', () => {
  let t: TestApp;
  let dir: string;
  beforeAll(async () => {
    dir = await copyOfShipped();
    t = await startTestApp({}, { catalogueDir: dir, clock });
  });
  afterAll(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });
  const ctx = () => ({ db: t.database.db, actor: undefined, requestId: 'test', clock });
  const versions = async () =>
    (
      await t.database.db
        .select({ code: serviceDefinitions.code, version: serviceDefinitions.version })
        .from(serviceDefinitions)
        .orderBy(serviceDefinitions.code, serviceDefinitions.version)
    ).map((r) => `${r.code}@${r.version}`);

  it('publishes each definition once, with its event', async () => {
    expect(await versions()).toEqual([
      'marriage_registration@1',
      'newborn_registration@1',
      'open_restaurant@1',
    ]);
    const published = await t.database.db
      .select({ type: events.type, id: events.aggregateId })
      .from(events)
      .where(eq(events.type, 'service.published'));
    expect(published).toHaveLength(3);
  });

  it('publishes nothing when the content is unchanged, whatever the file layout', async () => {
    // Same content, other member order and indentation.
    await editFile(dir, 'open_restaurant', (d) => {
      const { steps } = d;
      delete d.steps;
      d.steps = steps;
    });
    const outcomes = await publishCatalogue({ ctx: ctx(), dir });
    expect(outcomes.map((o) => o.outcome)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    expect(await versions()).toHaveLength(3);
  });

  it('publishes a changed definition as a new version and keeps the old one', async () => {
    await editFile(dir, 'marriage_registration', (d) => {
      ((d.steps as { slaWorkingDays: number }[])[0] as { slaWorkingDays: number }).slaWorkingDays =
        2;
    });
    const outcomes = await publishCatalogue({ ctx: ctx(), dir });
    expect(outcomes).toContainEqual({
      outcome: 'published',
      code: 'marriage_registration',
      version: 2,
    });
    expect(await versions()).toEqual([
      'marriage_registration@1',
      'marriage_registration@2',
      'newborn_registration@1',
      'open_restaurant@1',
    ]);
    // Publishing again is a no-op.
    expect((await publishCatalogue({ ctx: ctx(), dir })).map((o) => o.outcome)).toEqual([
      'unchanged',
      'unchanged',
      'unchanged',
    ]);
  });

  it('refuses a catalogue with an invalid file, publishing none of it', async () => {
    const bad = await copyOfShipped();
    try {
      await editFile(bad, 'newborn_registration', (d) => {
        ((d.steps as { dependsOn: string[] }[])[0] as { dependsOn: string[] }).dependsOn = [
          'social_security_card',
        ];
      });
      await editFile(bad, 'marriage_registration', (d) => {
        d.code = 'marriage';
      });
      await expect(publishCatalogue({ ctx: ctx(), dir: bad })).rejects.toThrow(
        [
          'marriage_registration.json: /code must equal the file name (marriage)',
          'newborn_registration.json: /steps/0/dependsOn closes a cycle: birth_check → social_security_card → household → birth_check',
        ].join('\n'),
      );
    } finally {
      await rm(bad, { recursive: true, force: true });
    }
  });

  it('refuses to change or remove a published version, whoever is connected', async () => {
    const refusal = (query: PromiseLike<unknown>) =>
      Promise.resolve(query).then(
        () => 'allowed',
        (err: Error) => String((err.cause as Error | undefined)?.message ?? err.message),
      );
    expect(
      await refusal(
        t.database.db
          .update(serviceDefinitions)
          .set({ nameEn: 'Changed' })
          .where(eq(serviceDefinitions.code, 'open_restaurant')),
      ),
    ).toMatch(/service_definitions are append-only: UPDATE refused/);
    expect(
      await refusal(
        t.database.db
          .delete(serviceDefinitions)
          .where(eq(serviceDefinitions.code, 'open_restaurant')),
      ),
    ).toMatch(/service_definitions are append-only: DELETE refused/);
    expect(
      await refusal(t.database.db.execute(sql`TRUNCATE workflow.service_definitions`)),
    ).toMatch(/service_definitions are append-only: TRUNCATE refused/);
    const [row] = await t.database.db
      .select()
      .from(serviceDefinitions)
      .where(eq(serviceDefinitions.code, 'open_restaurant'));
    expect(row?.nameEn).toBe('Opening a restaurant');
  });
});

describe('GET /v1/services and GET /v1/services/{code}', () => {
  let t: TestApp;
  let dir: string;
  let client: WorkflowClient;
  beforeAll(async () => {
    dir = await copyOfShipped();
    t = await startTestApp({}, { catalogueDir: dir, clock });
    await editFile(dir, 'newborn_registration', (d) => {
      (d.name as { en: string }).en = 'Newborn registration, one application';
    });
    await publishCatalogue({
      ctx: { db: t.database.db, actor: undefined, requestId: 'test', clock },
      dir,
    });
    // Anonymous: the catalogue is public.
    client = createWorkflowClient({ baseUrl: 'http://workflow.test', fetch: injectFetch(t.app) });
  });
  afterAll(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('lists the newest version of each service, whole', async () => {
    const { data } = await client.GET('/v1/services');
    expect(data?.items.map((s) => [s.code, s.version])).toEqual([
      ['marriage_registration', 1],
      ['newborn_registration', 2],
      ['open_restaurant', 1],
    ]);
    expect(data?.nextCursor).toBeNull();
    const restaurant = data?.items[2];
    expect(restaurant?.steps.find((s) => s.id === 'final_issuance')?.dependsOn).toEqual([
      'business_licence',
      'fire_inspection',
      'food_permit',
    ]);
    expect(restaurant?.publishedAt).toBe('2026-03-02T08:00:00.000Z');
  });

  it('pages with a cursor', async () => {
    const first = await client.GET('/v1/services', { params: { query: { limit: 2 } } });
    expect(first.data?.items.map((s) => s.code)).toEqual([
      'marriage_registration',
      'newborn_registration',
    ]);
    const cursor = first.data?.nextCursor ?? undefined;
    expect(cursor).toBeTypeOf('string');
    const second = await client.GET('/v1/services', { params: { query: { limit: 2, cursor } } });
    expect(second.data?.items.map((s) => s.code)).toEqual(['open_restaurant']);
    expect(second.data?.nextCursor).toBeNull();
  });

  it('gives a service in full at its newest version', async () => {
    const { data } = await client.GET('/v1/services/{code}', {
      params: { path: { code: 'newborn_registration' } },
    });
    expect(data).toMatchObject({
      code: 'newborn_registration',
      version: 2,
      name: { zh: '新生儿出生一件事', en: 'Newborn registration, one application' },
      description: { zh: expect.any(String), en: expect.any(String) },
      form: { type: 'object', required: expect.arrayContaining(['childName']) },
      recordTypes: expect.arrayContaining([{ code: 'birth_record', step: 'birth_check' }]),
    });
    expect(data?.steps.map((s) => [s.id, s.department, s.dependsOn])).toEqual([
      ['birth_check', 'health', []],
      ['household', 'public_security', ['birth_check']],
      ['medical_insurance', 'social_security', ['household']],
      ['social_security_card', 'social_security', ['household']],
    ]);
  });

  it('gives an older version when asked', async () => {
    const { data } = await client.GET('/v1/services/{code}', {
      params: { path: { code: 'newborn_registration' }, query: { version: 1 } },
    });
    expect([data?.version, data?.name.en]).toEqual([1, 'Newborn registration']);
  });

  it('answers 404 not_found for an unknown service or version', async () => {
    const unknown = await client.GET('/v1/services/{code}', {
      params: { path: { code: 'no_such_service' } },
    });
    expect([unknown.response.status, unknown.error?.code]).toEqual([404, 'not_found']);
    const version = await client.GET('/v1/services/{code}', {
      params: { path: { code: 'open_restaurant' }, query: { version: 9 } },
    });
    expect([version.response.status, version.error?.code]).toEqual([404, 'not_found']);
  });

  // Off the contract on purpose, so the typed client cannot send them: raw inject.
  it('refuses a malformed code, version or limit', async () => {
    for (const url of [
      '/v1/services/Not-A-Code',
      '/v1/services/open_restaurant?version=0',
      '/v1/services/open_restaurant?colour=red',
      '/v1/services?limit=ten',
      '/v1/services?cursor=bm90LWEtY3Vyc29y',
    ]) {
      const res = await t.app.inject({ method: 'GET', url });
      expect([url, res.statusCode, res.json().code]).toEqual([url, 400, 'validation_failed']);
    }
  });
});
