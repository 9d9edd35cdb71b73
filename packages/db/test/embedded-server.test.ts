import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { createTestDatabase, prepareEmbeddedDataDir } from '@tongban/test-database';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type EmbeddedPostgres,
  migrationsFolderFor,
  openDatabase,
  startEmbeddedPostgres,
  startWireServer,
  type WireServer,
} from '../src/index.js';

// The embedded engine behind the wire server is one backend session; these tests hold it to
// what several connections expect of a PostgreSQL server (ADR 0018).

const SERVICES = ['identity', 'workflow', 'records', 'portal'] as const;

async function engine(): Promise<PGlite> {
  const database = await createTestDatabase({});
  if (database.kind !== 'pglite') throw new Error('expected the embedded engine');
  return database.pglite;
}

const pools: pg.Pool[] = [];
function pool(url: string, max = 5): pg.Pool {
  const p = new pg.Pool({ connectionString: url, max });
  p.on('error', () => {});
  pools.push(p);
  return p;
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.end().catch(() => {})));
});

function errorCode(err: unknown): string | undefined {
  return (err as { code?: string }).code;
}

describe('startWireServer', () => {
  let pglite: PGlite;
  let server: WireServer;
  const url = (user: string, password = `pw-${user}`) =>
    `postgres://${user}:${password}@127.0.0.1:${server.port}/tongban`;

  beforeAll(async () => {
    pglite = await engine();
    await pglite.exec(`
      create role alpha nologin; create role beta nologin;
      grant create on database postgres to alpha, beta;
      create table public.counter (n int not null); insert into public.counter values (0);
      grant select, update, insert on public.counter to alpha, beta;
      create table public.jobs (id int primary key, claimed_by text);
      insert into public.jobs select g, null from generate_series(1, 200) g;
      grant select, update on public.jobs to alpha, beta;
      create table public.notes (id serial primary key, text text not null);
      grant select, insert on public.notes to alpha, beta;
      grant usage on sequence public.notes_id_seq to alpha, beta;
    `);
    server = await startWireServer({
      pglite,
      users: new Map([
        ['alpha', 'pw-alpha'],
        ['beta', 'pw-beta'],
      ]),
      idleInTransactionMs: 500,
    });
  });
  afterAll(async () => {
    await server.close();
    await pglite.close();
  });

  it('runs each connection as its own role, with only that role’s grants', async () => {
    const alpha = pool(url('alpha'));
    const beta = pool(url('beta'));
    const [a, b] = await Promise.all([
      alpha.query('select current_user as who'),
      beta.query('select current_user as who'),
    ]);
    expect(a.rows[0].who).toBe('alpha');
    expect(b.rows[0].who).toBe('beta');
    await alpha.query('create schema alpha; create table alpha.secrets (v text)');
    await alpha.query(`insert into alpha.secrets values ('only alpha')`);
    const denied = await beta.query('select * from alpha.secrets').catch((err: unknown) => err);
    expect(errorCode(denied)).toBe('42501');
    expect((await alpha.query('select v from alpha.secrets')).rows).toEqual([{ v: 'only alpha' }]);
    // After beta's turn the session is alpha's again, not left as beta.
    expect((await alpha.query('select current_user as who')).rows[0].who).toBe('alpha');
  });

  it('keeps a transaction whole while other connections wait: no lost update in 200 read-then-write increments', async () => {
    const clients = [pool(url('alpha'), 10), pool(url('beta'), 10)];
    await clients[0]?.query('update public.counter set n = 0');
    const increment = async (p: pg.Pool) => {
      const c = await p.connect();
      try {
        await c.query('begin');
        const { rows } = await c.query('select n from public.counter');
        // Read, then write what was read plus one: interleaved with another transaction's
        // statements on the same session this loses updates.
        await c.query('update public.counter set n = $1', [rows[0].n + 1]);
        await c.query('commit');
      } finally {
        c.release();
      }
    };
    await Promise.all(Array.from({ length: 200 }, (_, i) => increment(clients[i % 2] as pg.Pool)));
    expect((await clients[0]?.query('select n from public.counter'))?.rows[0].n).toBe(200);
  });

  it('gives each connection its own prepared statements under the same name', async () => {
    const alpha = pool(url('alpha'), 4);
    const beta = pool(url('beta'), 4);
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        i % 2 === 0
          ? alpha.query({
              name: 'same_name',
              text: `select 'alpha' as side, $1::int as i`,
              values: [i],
            })
          : beta.query({
              name: 'same_name',
              text: `select 'beta' as side, $1::int + 1000 as i`,
              values: [i],
            }),
      ),
    );
    results.forEach((r, i) => {
      expect(r.rows[0]).toEqual(i % 2 === 0 ? { side: 'alpha', i } : { side: 'beta', i: i + 1000 });
    });
  });

  it('answers a failing statement only to the connection that sent it', async () => {
    const alpha = pool(url('alpha'), 5);
    const beta = pool(url('beta'), 5);
    const outcomes = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        i % 3 === 0
          ? alpha.query('select 1 / $1::int as x', [0]).then(
              () => 'no error',
              (err: unknown) => errorCode(err),
            )
          : beta.query('select $1::int * 2 as x', [i]).then((r) => r.rows[0].x as number),
      ),
    );
    outcomes.forEach((outcome, i) => {
      expect(outcome).toBe(i % 3 === 0 ? '22012' : i * 2);
    });
  });

  it('rolls back the transaction of a connection that went away, and serves the others', async () => {
    const leaving = new pg.Client({ connectionString: url('alpha') });
    leaving.on('error', () => {});
    await leaving.connect();
    await leaving.query('begin');
    await leaving.query(`insert into public.notes (text) values ('never committed')`);
    const waiting = pool(url('beta')).query(
      `select count(*)::int as n from public.notes where text = 'never committed'`,
    );
    (
      leaving as unknown as { connection: { stream: { destroy(): void } } }
    ).connection.stream.destroy();
    expect((await waiting).rows[0].n).toBe(0);
  });

  it('cuts off a connection idle inside a transaction, rolling it back', async () => {
    const idle = new pg.Client({ connectionString: url('alpha') });
    const errors: unknown[] = [];
    idle.on('error', (err) => errors.push(err));
    await idle.connect();
    await idle.query('begin');
    await idle.query(`insert into public.notes (text) values ('left open')`);
    // This waits for the session until the cut-off frees it.
    const other = await pool(url('beta')).query(
      `select count(*)::int as n from public.notes where text = 'left open'`,
    );
    expect(other.rows[0].n).toBe(0);
    const after = await idle.query('commit').catch((err: unknown) => err);
    expect(after).toBeInstanceOf(Error);
    await idle.end().catch(() => {});
  });

  it('refuses an unknown role and a wrong password', async () => {
    const stranger = new pg.Client({ connectionString: url('postgres', 'pw-alpha') });
    expect(errorCode(await stranger.connect().catch((err: unknown) => err))).toBe('28000');
    const wrong = new pg.Client({ connectionString: url('alpha', 'not-it') });
    expect(errorCode(await wrong.connect().catch((err: unknown) => err))).toBe('28P01');
  });

  it('closes a connection that breaks the protocol and goes on serving', async () => {
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(server.port, '127.0.0.1', () => {
        // A startup packet claiming to be 2 GiB long.
        socket.write(Buffer.from([0x7f, 0xff, 0xff, 0xff, 0, 3, 0, 0, 1, 2, 3]));
      });
      const answer: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => answer.push(chunk));
      socket.on('error', () => {});
      socket.on('close', () => resolve(Buffer.concat(answer).toString('latin1')));
    });
    // A FATAL ErrorResponse with the protocol-violation code, then the end of the connection.
    expect(answer.startsWith('E')).toBe(true);
    expect(answer).toContain('C08P01');
    expect((await pool(url('alpha')).query('select 1 as one')).rows).toEqual([{ one: 1 }]);
  });

  it('lets connections claim work with FOR UPDATE SKIP LOCKED, each row exactly once', async () => {
    const workers = ['alpha', 'beta', 'alpha', 'beta'].map((user) => pool(url(user), 2));
    const claim = async (p: pg.Pool, me: string) => {
      let claimed = 0;
      for (;;) {
        const c = await p.connect();
        try {
          await c.query('begin');
          const { rows } = await c.query(
            'select id from public.jobs where claimed_by is null order by id limit 7 for update skip locked',
          );
          if (rows.length === 0) {
            await c.query('commit');
            return claimed;
          }
          await c.query('update public.jobs set claimed_by = $1 where id = any($2::int[])', [
            me,
            rows.map((r) => r.id),
          ]);
          await c.query('commit');
          claimed += rows.length;
        } finally {
          c.release();
        }
      }
    };
    const counts = await Promise.all(workers.map((p, i) => claim(p, `worker-${i}`)));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(200);
    const check = await workers[0]?.query(
      'select count(*)::int as claimed, count(distinct id)::int as distinct from public.jobs where claimed_by is not null',
    );
    expect(check?.rows[0]).toEqual({ claimed: 200, distinct: 200 });
  });
});

describe('startEmbeddedPostgres', () => {
  let folder: string;
  let embedded: EmbeddedPostgres | undefined;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'tongban-embedded-'));
    // The cluster from the test runner's dump: initdb itself is covered by the start tests.
    await prepareEmbeddedDataDir(folder);
  });
  afterAll(async () => {
    await embedded?.close();
    await rm(folder, { recursive: true, force: true });
  });

  it('migrates every service at once under the advisory lock, each under its own role, and keeps the data across a restart', async () => {
    embedded = await startEmbeddedPostgres({ dataDir: folder, services: [...SERVICES] });
    const first = embedded;
    const open = () =>
      Promise.all(
        SERVICES.map((service) =>
          openDatabase({
            service,
            target: { kind: 'postgres', url: first.url(service) },
            migrationsFolder: migrationsFolderFor(service),
            poolMax: 3,
          }),
        ),
      );
    const databases = await open();
    try {
      // Twice per service at once, as two replicas starting together would.
      const reports = await Promise.all(databases.flatMap((d) => [d.migrate(), d.migrate()]));
      for (const [i, d] of databases.entries()) {
        const pair = [reports[2 * i], reports[2 * i + 1]];
        const files = pair[0]?.applied.length ?? 0;
        expect(files).toBeGreaterThan(0);
        // Exactly one of the two applied everything; the other found nothing left.
        expect(pair.map((r) => r?.ranNow.length).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual([
          0,
          files,
        ]);
        await expect(d.checkReady()).resolves.toMatchObject({ pending: [] });
      }
      const owners = await new pg.Client({ connectionString: first.url('identity') });
      await owners.connect();
      const { rows } = await owners.query(
        `select nspname as schema, pg_get_userbyid(nspowner) as owner from pg_namespace where nspname = any($1::text[]) order by 1`,
        [[...SERVICES]],
      );
      expect(rows.map((r) => r.owner)).toEqual(rows.map((r) => r.schema));
      const denied = await owners
        .query('select count(*) from workflow.cases')
        .catch((err: unknown) => err);
      expect(errorCode(denied)).toBe('42501');
      await owners.end();
    } finally {
      await Promise.all(databases.map((d) => d.close()));
    }
    await first.close();

    embedded = await startEmbeddedPostgres({ dataDir: folder, services: [...SERVICES] });
    const again = embedded;
    const reopened = await Promise.all(
      SERVICES.map((service) =>
        openDatabase({
          service,
          target: { kind: 'postgres', url: again.url(service) },
          migrationsFolder: migrationsFolderFor(service),
          poolMax: 1,
        }),
      ),
    );
    try {
      for (const d of reopened) {
        await expect(d.checkReady()).resolves.toMatchObject({ pending: [] });
        expect((await d.migrate()).ranNow).toEqual([]);
      }
    } finally {
      await Promise.all(reopened.map((d) => d.close()));
    }
    // The previous start's passwords no longer open anything.
    const stalePassword = new URL(first.url('identity')).password;
    const staleUrl = new URL(again.url('identity'));
    staleUrl.password = stalePassword;
    const stale = new pg.Client({ connectionString: staleUrl.toString() });
    expect(errorCode(await stale.connect().catch((err: unknown) => err))).toBe('28P01');
  });
});

describe('startEmbeddedPostgres on a new data folder', () => {
  let folder: string;
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'tongban-embedded-new-'));
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('runs initdb once and leaves a copy of the empty cluster, from which the next new folder is filled', async () => {
    const cache = join(folder, 'cache');
    const roundTrip = async (dataDir: string) => {
      const embedded = await startEmbeddedPostgres({
        dataDir,
        services: ['identity'],
        emptyClusterCache: cache,
      });
      try {
        await embedded.ready;
        const client = new pg.Client({ connectionString: embedded.url('identity') });
        await client.connect();
        await client.query('create schema identity; create table identity.t (v text)');
        await client.query(`insert into identity.t values ('kept')`);
        await client.end();
      } finally {
        await embedded.close();
      }
    };
    await roundTrip(join(folder, 'first'));
    const copies = await readdir(cache);
    expect(copies).toHaveLength(1);
    expect(copies[0]).toMatch(/^pglite-[\d.]+-empty-cluster\.tar$/);
    // The copy is of the empty cluster, not of what the first folder holds now.
    await roundTrip(join(folder, 'second'));
    const reopened = await startEmbeddedPostgres({
      dataDir: join(folder, 'second'),
      services: ['identity'],
    });
    try {
      const client = new pg.Client({ connectionString: reopened.url('identity') });
      await client.connect();
      expect((await client.query('select v from identity.t')).rows).toEqual([{ v: 'kept' }]);
      await client.end();
    } finally {
      await reopened.close();
    }
  }, 120_000);
});
