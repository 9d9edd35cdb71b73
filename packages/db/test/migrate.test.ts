import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@tongban/test-database';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/index.js';

const fixture = fileURLToPath(new URL('./fixtures/migrations/demo', import.meta.url));

describe('runMigrations', () => {
  let target: TestDatabase;
  beforeAll(async () => {
    target = await createTestDatabase();
  });
  afterAll(async () => {
    await target.drop();
  });

  it('is not ready before migrating, applies every migration once, then is ready', async () => {
    const database = await openDatabase({
      service: 'demo',
      target: target.target,
      migrationsFolder: fixture,
    });
    try {
      await expect(database.checkReady()).rejects.toThrow(/2 migration\(s\) not applied/);
      const first = await database.migrate();
      expect(first.ranNow).toHaveLength(2);
      const again = await database.migrate();
      expect(again.ranNow).toHaveLength(0);
      const ready = await database.checkReady();
      expect(ready.pending).toEqual([]);
      await database.db.execute(sql`insert into demo.things (id, name) values (1, 'one')`);
      const rows = await database.db.execute(
        sql`select count(*)::int as n from tongban_migrations.demo`,
      );
      expect((rows as unknown as { rows: { n: number }[] }).rows[0]?.n).toBe(2);
    } finally {
      await database.close();
    }
  });

  it('refuses to start when an applied migration was edited afterwards', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tb-migrations-'));
    try {
      await cp(fixture, dir, { recursive: true });
      await writeFile(join(dir, '0000_first.sql'), 'CREATE SCHEMA "demo_edited";');
      const database = await openDatabase({
        service: 'demo',
        target: target.target,
        migrationsFolder: dir,
      });
      try {
        await expect(database.migrate()).rejects.toThrow(/migration 0 was changed/);
      } finally {
        await database.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('two replicas starting together on an empty database', () => {
  let target: TestDatabase;
  beforeAll(async () => {
    target = await createTestDatabase();
  });
  afterAll(async () => {
    await target.drop();
  });

  it('both come up and the migrations run exactly once', async () => {
    const [a, b] = await Promise.all([
      openDatabase({ service: 'demo', target: target.target, migrationsFolder: fixture }),
      openDatabase({ service: 'demo', target: target.target, migrationsFolder: fixture }),
    ]);
    try {
      const reports = await Promise.all([a.migrate(), b.migrate()]);
      const ran = reports.map((r) => r.ranNow.length).sort();
      expect(ran).toEqual([0, 2]);
      await Promise.all([a.checkReady(), b.checkReady()]);
      const rows = await a.db.execute(
        sql`select hash, count(*)::int as n from tongban_migrations.demo group by hash`,
      );
      const counts = (rows as unknown as { rows: { n: number }[] }).rows.map((r) => r.n);
      expect(counts).toEqual([1, 1]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe('different services migrating one empty database at once', () => {
  let target: TestDatabase;
  beforeAll(async () => {
    target = await createTestDatabase();
  });
  afterAll(async () => {
    await target.drop();
  });

  it('all succeed: the shared bookkeeping schema is created once', async () => {
    const other = fileURLToPath(new URL('./fixtures/migrations/other', import.meta.url));
    const opened = await Promise.all(
      [fixture, other, fixture, other].map((folder, i) =>
        openDatabase({
          service: i % 2 === 0 ? 'demo' : 'other',
          target: target.target,
          migrationsFolder: folder,
        }),
      ),
    );
    try {
      const reports = await Promise.all(opened.map((d) => d.migrate()));
      expect(reports.map((r) => r.ranNow.length).sort()).toEqual([0, 0, 2, 2]);
      await Promise.all(opened.map((d) => d.checkReady()));
    } finally {
      await Promise.all(opened.map((d) => d.close()));
    }
  });
});

describe('a build older than the database (rolling update, rollback)', () => {
  let target: TestDatabase;
  beforeAll(async () => {
    target = await createTestDatabase();
  });
  afterAll(async () => {
    await target.drop();
  });

  it('starts and is ready when the applied migrations begin with all of its own', async () => {
    const newer = await openDatabase({
      service: 'demo',
      target: target.target,
      migrationsFolder: fixture,
    });
    await newer.migrate();
    await newer.close();
    const dir = await mkdtemp(join(tmpdir(), 'tb-migrations-old-'));
    try {
      await cp(fixture, dir, { recursive: true });
      await rm(join(dir, '0001_second.sql'));
      await writeFile(
        join(dir, 'meta', '_journal.json'),
        JSON.stringify({
          version: '7',
          dialect: 'postgresql',
          entries: [
            { idx: 0, version: '7', when: 1795600000000, tag: '0000_first', breakpoints: true },
          ],
        }),
      );
      const older = await openDatabase({
        service: 'demo',
        target: target.target,
        migrationsFolder: dir,
      });
      try {
        expect((await older.migrate()).ranNow).toEqual([]);
        expect((await older.checkReady()).pending).toEqual([]);
      } finally {
        await older.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
