// What a department pays to read another department's record: `GET /v1/records/{id}` with a
// stated purpose — access token, policy decision, the record and its version, and the
// access-log entry written in the same transaction — over real HTTP with 50 connections
// (autocannon). Beside it, in the same run and on the same database: raw pg doing the least
// such a read can do, in one transaction a select of the record by key and the insert of one log
// row, with the same number in flight. The ratio is the figure of merit (issue: ≥ 50 %).
//
// Needs the PostgreSQL server (DATABASE_URL; the default is the local one at 127.0.0.1:5432):
// the raw baseline is pg against a server, so the service must use the same server.
//
// Knobs (environment): BENCH_DURATION_S (10), BENCH_CONNECTIONS (50), BENCH_RECORDS (200),
// BENCH_CPU_PROF_DIR (the service's V8 CPU profile, --cpu-prof).
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { signAccessToken } from '@tongban/auth';
import autocannon from 'autocannon';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import pg from 'pg';
import { type Bench, intFromEnv } from './lib/bench.js';
import { fmt, formatTable, machineInfo, type Row, writeJson } from './lib/report.js';
import { freePort, startServiceProcess } from './lib/service-process.js';

const NAME = 'record-read';
const RESULTS_FILE = fileURLToPath(new URL(`./results/${NAME}.json`, import.meta.url));
const TARGET_RATIO = 0.5;
const ISSUER = 'tb';
const AUDIENCE = 'tongban';
const PURPOSE = 'opening_inspection';

export const bench: Bench = {
  name: NAME,
  summary: 'GET /v1/records/{id} (policy + access-log append, 50 connections) against raw pg',
  timeoutMs: 5 * 60_000,
  run,
};

async function run(): Promise<void> {
  const config = {
    durationS: intFromEnv('BENCH_DURATION_S', 10),
    connections: intFromEnv('BENCH_CONNECTIONS', 50),
    records: intFromEnv('BENCH_RECORDS', 200),
  };
  const log = (line: string) => process.stdout.write(`  ${line}\n`);
  const machine = machineInfo();
  process.env.DATABASE_URL ||= 'postgres://postgres@127.0.0.1:5432/postgres';

  // identity stands in as a JWKS: records checks access tokens against it like any other set.
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const jwk = { ...(await exportJWK(publicKey)), alg: 'EdDSA', use: 'sig' };
  const kid = await calculateJwkThumbprint(jwk);
  const jwksPort = await freePort();
  const jwks: Server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [{ ...jwk, kid }] }));
  });
  await new Promise<void>((resolve) => jwks.listen(jwksPort, '127.0.0.1', resolve));

  const service = await startServiceProcess({
    service: 'records',
    entry: 'services/records/src/server.ts',
    requireServer: true,
    ...(process.env.BENCH_CPU_PROF_DIR
      ? { nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}`] }
      : {}),
    env: () => ({
      RECORDS_MASTER_KEY: randomBytes(32).toString('base64url'),
      IDENTITY_URL: `http://127.0.0.1:${jwksPort}`,
      TOKEN_ISSUER: ISSUER,
      TOKEN_AUDIENCE: AUDIENCE,
      // As many database connections as the raw baseline has in flight: the same footing.
      DB_POOL_MAX: String(config.connections),
    }),
  });
  const pool = new pg.Pool({ connectionString: service.databaseUrl, max: config.connections });
  try {
    const token = (kind: 'staff' | 'client', department: string, roles: string[], scope: string) =>
      signAccessToken({
        key: privateKey,
        kid,
        issuer: ISSUER,
        audience: AUDIENCE,
        now: new Date(),
        ttlSeconds: 900,
        claims: {
          kind,
          sub: `${department}-${roles[0]}`,
          client_id: kind === 'client' ? `${department}-system` : 'tongban-staff',
          department,
          roles: roles as never,
          scope,
        },
      });
    const admin = await token('staff', 'market_regulation', ['department_admin'], '');
    const publisher = await token('client', 'market_regulation', ['publisher'], 'records:write');
    const reader = await token('staff', 'fire_safety', ['case_officer'], 'records:read');

    const call = async (method: string, path: string, bearer: string, body?: unknown) => {
      const res = await fetch(`${service.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${bearer}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${text}`);
      return JSON.parse(text) as Record<string, unknown>;
    };
    await call('POST', '/v1/record-types', admin, {
      code: 'business_licence',
      name: { zh: '营业执照', en: 'Business licence' },
      fieldSchema: {
        type: 'object',
        required: ['companyName', 'creditCode', 'address', 'legalRepresentative'],
        additionalProperties: false,
        properties: {
          companyName: { type: 'string' },
          creditCode: { type: 'string' },
          address: { type: 'string' },
          legalRepresentative: { type: 'string' },
        },
      },
      classification: {
        companyName: 'basic',
        creditCode: 'basic',
        address: 'basic',
        legalRepresentative: 'personal',
      },
    });
    await call('POST', '/v1/policies', admin, {
      readerDepartment: 'fire_safety',
      recordType: 'business_licence',
      purpose: PURPOSE,
      fields: ['companyName', 'creditCode', 'address'],
      consentRequired: false,
    });
    const ids: string[] = [];
    for (let i = 0; i < config.records; i++) {
      const record = await call('POST', '/v1/records', publisher, {
        type: 'business_licence',
        subjectId: randomBytes(12).toString('base64url'),
        data: {
          companyName: `清源餐饮有限公司 ${i}`,
          creditCode: `91350500MA${String(i).padStart(8, '0')}`,
          address: `清源市中山路 ${i} 号`,
          legalRepresentative: `张${i}`,
        },
      });
      ids.push(String(record.id));
    }
    log(`${ids.length} records published; ${service.engine} (${service.data})`);

    // Warm up both sides, then measure the endpoint first and the raw baseline right after.
    await readFor(service.baseUrl, reader, ids, config.connections, 2);
    const cpuBefore = service.cpuSeconds();
    const endpoint = await readFor(
      service.baseUrl,
      reader,
      ids,
      config.connections,
      config.durationS,
    );
    const cpuAfter = service.cpuSeconds();
    const serviceCores =
      cpuBefore === undefined || cpuAfter === undefined
        ? undefined
        : (cpuAfter - cpuBefore) / config.durationS;

    await rawFor(pool, ids, config.connections, 2_000);
    const raw = await rawFor(pool, ids, config.connections, config.durationS * 1000);

    const ratio = endpoint.perSecond / raw.perSecond;
    const verdict = ratio >= TARGET_RATIO ? 'PASS' : 'BELOW';
    const loadAfter = Math.round((loadavg()[0] ?? 0) * 100) / 100;
    const rows: Row[] = [
      ['machine', `${machine.cores} cores`, `${machine.cpu}, ${machine.memoryGiB} GiB`],
      ['node', machine.node, machine.platform],
      ['database', service.engine, 'service and baseline on the same server and database'],
      ['load average (1 min)', `${machine.loadAverage1m} → ${loadAfter}`, 'before → after'],
      [''],
      [
        'GET /v1/records/{id}?purpose=…',
        `${config.connections} connections`,
        `autocannon, same machine; DB_POOL_MAX ${config.connections}`,
      ],
      ['  reads/s', fmt.int(endpoint.perSecond), `${fmt.int(endpoint.ok)} × 200`],
      ['  latency p50', fmt.ms(endpoint.p50)],
      ['  latency p99', fmt.ms(endpoint.p99)],
      ['  non-200', fmt.int(endpoint.failures), endpoint.failures > 0 ? '!!!' : ''],
      ['  service CPU', serviceCores === undefined ? 'n/a' : `${serviceCores.toFixed(2)} cores`],
      [''],
      ['raw pg: select by key + insert log row', 'transactions/s', 'one transaction each'],
      [`  ${config.connections} in flight`, fmt.int(raw.perSecond), `p50 ${fmt.ms(raw.p50)}`],
      [''],
      ['endpoint / raw pg', fmt.pct(ratio), `target ≥ 50 %: ${verdict}`],
    ];
    process.stdout.write(`\n${formatTable(`${NAME} (${machine.cores} cores)`, rows)}`);
    await writeJson(RESULTS_FILE, {
      bench: NAME,
      at: new Date().toISOString(),
      machine,
      loadAverage1mAfter: loadAfter,
      config,
      endpoint: { ...endpoint, serviceCpuCores: serviceCores },
      rawPg: raw,
      ratio,
      target: TARGET_RATIO,
      verdict,
    });
    if (endpoint.failures > 0) {
      throw new Error(`${endpoint.failures} reads failed: ${endpoint.firstFailure}`);
    }
  } finally {
    await pool.end();
    await service.stop();
    await new Promise((resolve) => jwks.close(resolve));
  }
}

async function readFor(
  baseUrl: string,
  bearer: string,
  ids: readonly string[],
  connections: number,
  durationS: number,
) {
  let next = 0;
  let failures = 0;
  let firstFailure = '';
  const result = await autocannon({
    url: baseUrl,
    connections,
    duration: durationS,
    timeout: 10,
    headers: { authorization: `Bearer ${bearer}` },
    requests: [
      {
        method: 'GET',
        setupRequest: (request) => ({
          ...request,
          path: `/v1/records/${ids[next++ % ids.length]}?purpose=${PURPOSE}`,
        }),
        onResponse: (status, body) => {
          if (status !== 200 || !body.includes('"releasedFields"')) {
            failures++;
            firstFailure ||= `${status} ${body.slice(0, 300)}`;
          }
        },
      },
    ],
  });
  const ok = result['2xx'];
  return {
    perSecond: ok / durationS,
    ok,
    failures: failures + result.errors + result.timeouts,
    firstFailure,
    p50: result.latency.p50,
    p99: result.latency.p99,
  };
}

/** The least a logged read can do: one transaction, a select by key, one insert. */
async function rawFor(pool: pg.Pool, ids: readonly string[], inFlight: number, durationMs: number) {
  let next = 0;
  const latencies: number[] = [];
  const deadline = performance.now() + durationMs;
  const started = performance.now();
  const worker = async () => {
    const client = await pool.connect();
    try {
      while (performance.now() < deadline) {
        const id = ids[next++ % ids.length];
        const t0 = performance.now();
        await client.query('BEGIN');
        const { rows } = await client.query(
          `select r.id, r.type_code, r.subject_id, r.version, v.data, v.digest
             from records.records r
             join records.record_versions v on v.record_id = r.id and v.version = r.version
            where r.id = $1`,
          [id],
        );
        const row = rows[0] as { subject_id: string; type_code: string; version: number };
        await client.query(
          `insert into records.access_log
             (id, occurred_at, subject_id, reader_kind, reader, reader_department, purpose,
              record_id, type_code, record_version, fields, outcome)
           values ($1, now(), $2, 'staff', 'bench', 'fire_safety', $3, $4, $5, $6, $7, 'released')`,
          [
            randomUUID(),
            row.subject_id,
            PURPOSE,
            id,
            row.type_code,
            row.version,
            ['companyName', 'creditCode', 'address'],
          ],
        );
        await client.query('COMMIT');
        latencies.push(performance.now() - t0);
      }
    } finally {
      client.release();
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    perSecond: latencies.length / seconds,
    transactions: latencies.length,
    p50: latencies[Math.floor(latencies.length / 2)] ?? 0,
  };
}
