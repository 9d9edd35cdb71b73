import { randomBytes } from 'node:crypto';
import { migrationsFolderFor, openDatabase } from '@tongban/db';
import { createTestDatabase, type TestDatabase } from '@tongban/testing';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';

describe('two identity replicas starting at once on an empty database', () => {
  let target: TestDatabase;
  beforeAll(async () => {
    target = await createTestDatabase();
  });
  afterAll(() => target.drop());

  it('both come up ready and the migrations ran once', async () => {
    const config = loadConfig(
      {
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        IDENTITY_MASTER_KEY: randomBytes(32).toString('base64url'),
      },
      process.cwd(),
    );
    const start = async () => {
      const database = await openDatabase({
        service: 'identity',
        target: target.target,
        migrationsFolder: migrationsFolderFor('identity'),
      });
      const report = await database.migrate();
      return { database, report, app: await buildApp({ config, database }) };
    };
    const replicas = await Promise.all([start(), start()]);
    try {
      for (const { app } of replicas) {
        expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
      }
      const ranNow = replicas.map((r) => r.report.ranNow.length).sort();
      expect(ranNow[0]).toBe(0);
      expect(ranNow[1]).toBe(replicas[0]?.report.applied.length);
      const rows = await replicas[0]?.database.db.execute(
        sql`select hash, count(*)::int as n from tongban_migrations.identity group by hash`,
      );
      for (const row of (rows as unknown as { rows: { n: number }[] }).rows) expect(row.n).toBe(1);
      // Both replicas agreed on one signing key (advisory lock at start): one JWKS, one kid.
      const jwks = await Promise.all(
        replicas.map(async ({ app }) =>
          (await app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json(),
        ),
      );
      expect(jwks[0].keys).toHaveLength(1);
      expect(jwks[1]).toEqual(jwks[0]);
    } finally {
      for (const { app, database } of replicas) {
        await app.close();
        await database.close();
      }
    }
  });
});
