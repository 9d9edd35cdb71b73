// Workflow cases under load, on the PostgreSQL server (DATABASE_URL; default the local one), each
// workflow process on a throwaway database the bench creates and drops.
//
// 1. Writes over real HTTP (autocannon, a fixed number of connections), each beside raw pg doing
//    the same rows in one transaction per operation, with as many in flight, on the same database.
//    The two take turns (BENCH_ROUNDS slices each), so load from elsewhere weighs on both alike.
//    - POST /v1/cases: residents (DPoP-bound tokens, a fresh proof per request) apply to open a
//      restaurant with an Idempotency-Key. The service writes the proof id, the idempotency key,
//      the yearly case-number counter, the case, its 4 tasks, `case.submitted` and 3 `task.opened`
//      (4 events, 4 outbox rows). Raw pg: the same rows, one INSERT per table.
//    - POST /v1/cases/{id}/tasks/{taskId}/decision: a market-regulation officer approves the
//      business-licence task with If-Match, once per case (seeded fresh cases, then the ones the
//      submissions made). The service reads the case and its tasks, moves the case's version and
//      the task, and writes `task.decided` (event + outbox row). Raw pg: the same two selects, two
//      conditional updates and two inserts.
//    The ratio endpoint / raw pg is the figure of merit (issue: ≥ 40 %).
// 2. The department queue, GET /v1/departments/market_regulation/tasks (20 a page, one request
//    at a time): the first page and a deep page (a cursor made from the real row 5,000 deep),
//    with 10,000 and with 1,000,000 cases in the database (lib/seed-cases.ts writes them straight
//    into the tables; one workflow process and database per size, asked in turn), and EXPLAIN
//    (ANALYZE, BUFFERS) of the exact statement departmentQueue sends. Keyset pagination should
//    keep both pages flat (within ±20 %) as the database grows 100×.
//
// Proofs and tokens are made between the measured slices, so the bench's own signing does not
// compete with the service for the two cores while it is measured. Times are printed, never
// asserted; the bench breaks only when a request fails.
//
// Knobs (environment): BENCH_DURATION_S (12 per side), BENCH_ROUNDS (4), BENCH_CONNECTIONS (32),
// BENCH_DECISION_CASES (50000 seeded cases to decide on), BENCH_QUEUE_CASES ("10000,1000000"),
// BENCH_QUEUE_REQUESTS (300 per figure), BENCH_CPU_PROF_DIR (--cpu-prof of the services).
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { signAccessToken } from '@tongban/auth';
import type { Db } from '@tongban/db';
import { encodeCursor, uuidV7 } from '@tongban/service-kit';
import autocannon from 'autocannon';
import { drizzle } from 'drizzle-orm/node-postgres';
import {
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  type JWTPayload,
} from 'jose';
import pg from 'pg';
import { departmentQueue } from '../../services/workflow/src/db/queries/cases.js';
import { type Bench, intFromEnv } from './lib/bench.js';
import { Device } from './lib/identity-client.js';
import { fmt, formatTable, machineInfo, type Row, writeJson } from './lib/report.js';
import { seedCases } from './lib/seed-cases.js';
import { freePort, type ServiceProcess, startServiceProcess } from './lib/service-process.js';

const NAME = 'cases';
const RESULTS_FILE = fileURLToPath(new URL(`./results/${NAME}.json`, import.meta.url));
const TARGET_WRITE_RATIO = 0.4;
const FLAT_WITHIN = 0.2;
const ISSUER = 'tb';
const AUDIENCE = 'tongban';
const DEPARTMENT = 'market_regulation';
const PAGE = 20;
const DEEP = 5_000;
const PREFIX = 'TB';
const TIME_ZONE = 'Asia/Shanghai';
const REASON = '材料齐全，予以通过';

export const bench: Bench = {
  name: NAME,
  summary:
    'POST /v1/cases and decisions against raw pg; the department queue at 10k and 1M cases (seeded)',
  timeoutMs: 30 * 60_000,
  run,
};

interface Prepared {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

interface Throughput {
  readonly perSecond: number;
  readonly ok: number;
  readonly failures: number;
  readonly firstFailure: string;
  readonly p50: number;
  readonly p99: number;
  /** Operations handed out (prepared requests, cases). */
  readonly used: number;
  readonly ranOut: boolean;
  readonly seconds: number;
}

type Sign = (claims: JWTPayload & Record<string, unknown>) => Promise<string>;

async function run(): Promise<void> {
  const config = {
    durationS: intFromEnv('BENCH_DURATION_S', 12),
    rounds: intFromEnv('BENCH_ROUNDS', 4),
    connections: intFromEnv('BENCH_CONNECTIONS', 32),
    decisionCases: intFromEnv('BENCH_DECISION_CASES', 50_000),
    queueRequests: intFromEnv('BENCH_QUEUE_REQUESTS', 300),
    queueCases: sizesFromEnv('BENCH_QUEUE_CASES', [10_000, 1_000_000]),
  };
  const log = (line: string) => process.stdout.write(`  ${line}\n`);
  const machine = machineInfo();
  process.env.DATABASE_URL ||= 'postgres://postgres@127.0.0.1:5432/postgres';

  // identity stands in as a JWKS: workflow checks access tokens against it like any other set.
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const jwk = { ...(await exportJWK(publicKey)), alg: 'EdDSA', use: 'sig' };
  const kid = await calculateJwkThumbprint(jwk);
  const jwksPort = await freePort();
  const jwks: Server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [{ ...jwk, kid }] }));
  });
  await new Promise<void>((resolve) => jwks.listen(jwksPort, '127.0.0.1', resolve));
  const sign: Sign = (claims) =>
    signAccessToken({
      key: privateKey as CryptoKey,
      kid,
      issuer: ISSUER,
      audience: AUDIENCE,
      now: new Date(),
      ttlSeconds: 900,
      claims: claims as never,
    });

  /** Workflow as in production (its own process, server.ts), on a throwaway database. */
  const startWorkflow = () =>
    startServiceProcess({
      service: 'workflow',
      entry: 'services/workflow/src/server.ts',
      requireServer: true,
      ...(process.env.BENCH_CPU_PROF_DIR
        ? { nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}`] }
        : {}),
      env: (baseUrl) => ({
        WORKFLOW_MASTER_KEY: randomBytes(32).toString('base64url'),
        IDENTITY_URL: `http://127.0.0.1:${jwksPort}`,
        TOKEN_ISSUER: ISSUER,
        TOKEN_AUDIENCE: AUDIENCE,
        // Proofs name the URL the bench calls.
        WORKFLOW_PUBLIC_URLS: baseUrl,
        WORKFLOW_CASE_NUMBER_PREFIX: PREFIX,
        WORKFLOW_TIME_ZONE: TIME_ZONE,
        // As many database connections as the raw baseline has in flight: the same footing.
        DB_POOL_MAX: String(config.connections),
      }),
    });

  try {
    const service = await startWorkflow();
    const pool = new pg.Pool({ connectionString: service.databaseUrl, max: config.connections });
    let writes: Awaited<ReturnType<typeof measureWrites>>;
    try {
      log(
        `workflow on ${service.engine} (${service.data}), started in ${fmt.s(service.startupMs)}`,
      );
      writes = await measureWrites({ service, pool, sign, config, log });
    } finally {
      await pool.end();
      await service.stop();
    }
    const queue = await measureQueue({ startWorkflow, sign, config, log });

    const loadAfter = Math.round((loadavg()[0] ?? 0) * 100) / 100;
    const ratioRow = (label: string, ratio: number): Row => [
      label,
      fmt.pct(ratio),
      `target ≥ ${TARGET_WRITE_RATIO * 100} %: ${ratio >= TARGET_WRITE_RATIO ? 'PASS' : 'BELOW'}`,
    ];
    const cpu = (cores: number | undefined) =>
      cores === undefined ? 'n/a' : `${cores.toFixed(2)} cores`;
    const ranOut = (t: Throughput) =>
      t.ranOut ? `over ${t.seconds.toFixed(1)} s: the prepared work ran out in a slice` : '';
    const turns = `${config.rounds} turns of ${(config.durationS / config.rounds).toFixed(1)} s with raw pg`;
    const [small, large] = [queue.sizes[0], queue.sizes.at(-1)];
    const rows: Row[] = [
      ['machine', `${machine.cores} cores`, `${machine.cpu}, ${machine.memoryGiB} GiB`],
      ['node', machine.node, machine.platform],
      ['database', 'postgres', 'service and baseline on the same server and database'],
      ['load average (1 min)', `${machine.loadAverage1m} → ${loadAfter}`, 'before → after'],
      [''],
      [
        'POST /v1/cases (open_restaurant)',
        `${config.connections} connections`,
        `resident token + DPoP proof, Idempotency-Key; DB_POOL_MAX ${config.connections}; ${turns}`,
      ],
      ['  cases/s', fmt.int(writes.submit.endpoint.perSecond), ranOut(writes.submit.endpoint)],
      ['  latency p50 / p99', latency(writes.submit.endpoint)],
      ['  non-201', fmt.int(writes.submit.endpoint.failures), failureNote(writes.submit.endpoint)],
      ['  service CPU', cpu(writes.submit.serviceCores)],
      [
        'raw pg: same rows, one transaction',
        'transactions/s',
        'proof id, counter upsert, case, 4 tasks, 4 events, 4 outbox, idempotency key',
      ],
      [
        `  ${config.connections} in flight`,
        fmt.int(writes.submit.raw.perSecond),
        `p50 / p99 ${latency(writes.submit.raw)} ${ranOut(writes.submit.raw)}`,
      ],
      ratioRow(
        'submit: endpoint / raw pg',
        writes.submit.endpoint.perSecond / writes.submit.raw.perSecond,
      ),
      [''],
      [
        'POST …/tasks/{taskId}/decision (approve)',
        `${config.connections} connections`,
        `officer bearer token, If-Match; one decision per case; ${turns}`,
      ],
      ['  decisions/s', fmt.int(writes.decide.endpoint.perSecond), ranOut(writes.decide.endpoint)],
      ['  latency p50 / p99', latency(writes.decide.endpoint)],
      ['  non-200', fmt.int(writes.decide.endpoint.failures), failureNote(writes.decide.endpoint)],
      ['  service CPU', cpu(writes.decide.serviceCores)],
      [
        'raw pg: same rows, one transaction',
        'transactions/s',
        'select case + tasks, update case (version) + task (status), event, outbox',
      ],
      [
        `  ${config.connections} in flight`,
        fmt.int(writes.decide.raw.perSecond),
        `p50 / p99 ${latency(writes.decide.raw)} ${ranOut(writes.decide.raw)}`,
      ],
      ratioRow(
        'decide: endpoint / raw pg',
        writes.decide.endpoint.perSecond / writes.decide.raw.perSecond,
      ),
      [''],
      [
        `GET /v1/departments/${DEPARTMENT}/tasks`,
        `${PAGE} a page`,
        `one request at a time, sizes in turn; ${config.queueRequests} per figure after ${WARM_UP_ROUNDS} warm-up`,
      ],
      ...queue.sizes.flatMap((size): Row[] => [
        [
          `  ${fmt.int(size.cases)} cases`,
          `${fmt.int(size.tasks)} tasks`,
          `seeded in ${fmt.s(size.seedMs)}, vacuum analyze ${fmt.s(size.vacuumMs)}; ${fmt.int(size.openTasks)} open in this queue`,
        ],
        ['    first page p50 / p99', latency(size.first)],
        [`    page after ${fmt.int(size.depth)} p50 / p99`, latency(size.deep)],
      ]),
      ...(small !== undefined && large !== undefined && small !== large
        ? ([
            flatRow(
              `  first page p50, ${sizeName(large)} / ${sizeName(small)}`,
              large.first.p50 / small.first.p50,
            ),
            flatRow(
              `  first page p99, ${sizeName(large)} / ${sizeName(small)}`,
              large.first.p99 / small.first.p99,
            ),
            flatRow(
              `  deep page p50, ${sizeName(large)} / ${sizeName(small)}`,
              large.deep.p50 / small.deep.p50,
            ),
            flatRow(
              `  deep page p99, ${sizeName(large)} / ${sizeName(small)}`,
              large.deep.p99 / small.deep.p99,
            ),
          ] satisfies Row[])
        : []),
    ];
    process.stdout.write(`\n${formatTable(`${NAME} (${machine.cores} cores)`, rows)}`);
    process.stdout.write(`\nThe queue query, as departmentQueue sends it:\n${queue.sql}\n`);
    for (const size of queue.sizes) {
      for (const [label, plan] of [
        ['first page', size.firstPlan],
        [`page after ${fmt.int(size.depth)}`, size.deepPlan],
      ] as const) {
        process.stdout.write(
          `\nEXPLAIN (ANALYZE, BUFFERS), ${fmt.int(size.cases)} cases, ${label}:\n${plan}\n`,
        );
      }
    }
    await writeJson(RESULTS_FILE, {
      bench: NAME,
      at: new Date().toISOString(),
      machine,
      loadAverage1mAfter: loadAfter,
      config,
      writes,
      queue,
      targets: { writeRatio: TARGET_WRITE_RATIO, flatWithin: FLAT_WITHIN },
    });
    const broken = [writes.submit.endpoint, writes.decide.endpoint].find((t) => t.failures > 0);
    if (broken !== undefined) {
      throw new Error(`${broken.failures} requests failed: ${broken.firstFailure}`);
    }
  } finally {
    await new Promise((resolve) => jwks.close(resolve));
  }
}

// ---------------------------------------------------------------------------------------------
// 1. Submissions and decisions

interface WritesInput {
  readonly service: ServiceProcess;
  readonly pool: pg.Pool;
  readonly sign: Sign;
  readonly config: {
    readonly durationS: number;
    readonly rounds: number;
    readonly connections: number;
    readonly decisionCases: number;
  };
  readonly log: (line: string) => void;
}

async function measureWrites({ service, pool, sign, config, log }: WritesInput) {
  const { connections, rounds } = config;
  const sliceS = config.durationS / rounds;
  // Cases waiting for their first decision, enough for the decisions below: fresh restaurant
  // openings as submissions leave them (seeded; the database is not empty while cases are made).
  await seedCases(pool, {
    from: 1,
    to: config.decisionCases,
    now: new Date(),
    only: { service: 'open_restaurant', stage: 'submitted' },
  });
  await pool.query('vacuum (analyze) workflow.cases, workflow.tasks');
  const residents = await Promise.all(
    Array.from({ length: connections }, () => residentOf(service.baseUrl, sign)),
  );
  const year = Number(
    new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE, year: 'numeric' }).format(new Date()),
  );

  // Submissions. A proof is good once and for 60 s, so each slice gets fresh ones, as many as
  // the warm-up's pace says it could use and then some.
  const warm = await hammer(service.baseUrl, await submissions(residents, 1_500), {
    connections,
    durationS: 2,
    expect: 201,
  });
  const perSlice = Math.ceil(Math.max(warm.ok / warm.seconds, 50) * sliceS * 3) + connections;
  const rawSubmit = rawSubmission(year);
  await rawLoop(pool, connections, 2_000, Number.POSITIVE_INFINITY, rawSubmit);
  const submit = await alternate(service, rounds, {
    endpoint: async () =>
      hammer(service.baseUrl, await submissions(residents, perSlice), {
        connections,
        durationS: sliceS,
        expect: 201,
      }),
    raw: () => rawLoop(pool, connections, sliceS * 1000, Number.POSITIVE_INFINITY, rawSubmit),
  });
  log(
    `POST /v1/cases ${fmt.int(submit.endpoint.perSecond)}/s, raw pg ${fmt.int(submit.raw.perSecond)}/s`,
  );

  // Decisions: every case so far (seeded, the endpoint's and raw pg's alike) still has its
  // business-licence task open at version 1. Each slice takes the next cases in line; a case is
  // decided once.
  const { rows: open } = await pool.query<{ case_id: string; task_id: string }>(
    `select c.id as case_id, t.id as task_id
       from workflow.cases c
       join workflow.tasks t on t.case_id = c.id and t.step_id = 'business_licence'
      where c.version = 1 and t.status = 'open'
      order by c.submitted_at, c.id`,
  );
  const officer = await sign({
    kind: 'staff',
    sub: `officer-${DEPARTMENT}`,
    client_id: 'tongban-portal',
    department: DEPARTMENT,
    roles: ['case_officer'],
    scope: 'cases:read cases:decide',
  });
  const decisionOf = (c: { case_id: string; task_id: string }): Prepared => ({
    method: 'POST',
    path: `/v1/cases/${c.case_id}/tasks/${c.task_id}/decision`,
    headers: {
      authorization: `Bearer ${officer}`,
      'if-match': `"${c.case_id}.v1"`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ decision: 'approve', reason: REASON }),
  });
  let taken = 0;
  const endpointDecisions = async (durationS: number) => {
    const run = await hammer(service.baseUrl, open.slice(taken).map(decisionOf), {
      connections,
      durationS,
      expect: 200,
    });
    taken += run.used;
    return run;
  };
  const rawDecide = rawDecision(open);
  const rawDecisions = async (durationMs: number) => {
    const run = await rawLoop(pool, connections, durationMs, open.length, rawDecide, taken);
    taken += run.used;
    return run;
  };
  await endpointDecisions(2);
  await rawDecisions(2_000);
  const decide = await alternate(service, rounds, {
    endpoint: () => endpointDecisions(sliceS),
    raw: () => rawDecisions(sliceS * 1000),
  });
  log(
    `POST …/decision ${fmt.int(decide.endpoint.perSecond)}/s, raw pg ${fmt.int(decide.raw.perSecond)}/s (${fmt.int(taken)} of ${fmt.int(open.length)} cases decided)`,
  );
  return { submit, decide: { ...decide, casesAvailable: open.length } };
}

/** One measured stretch: what came back, and the time it took. */
interface Run {
  readonly ok: number;
  readonly failures: number;
  readonly firstFailure: string;
  readonly latencies: number[];
  /** Operations handed out (prepared requests, cases). */
  readonly used: number;
  /** The prepared work ran out before the time did. */
  readonly ranOut: boolean;
  readonly seconds: number;
}

/**
 * The endpoint and raw pg in turns (`rounds` slices each), so a change in what else loads the
 * machine weighs on both alike; each side's figures are over all its slices.
 */
async function alternate(
  service: ServiceProcess,
  rounds: number,
  sides: { endpoint: () => Promise<Run>; raw: () => Promise<Run> },
) {
  const endpointRuns: Run[] = [];
  const rawRuns: Run[] = [];
  let cpu = 0;
  for (let round = 0; round < rounds; round++) {
    const before = service.cpuSeconds();
    endpointRuns.push(await sides.endpoint());
    const after = service.cpuSeconds();
    cpu += before === undefined || after === undefined ? Number.NaN : after - before;
    rawRuns.push(await sides.raw());
  }
  const endpoint = combine(endpointRuns);
  const cores = cpu / endpoint.seconds;
  return {
    endpoint,
    raw: combine(rawRuns),
    serviceCores: Number.isFinite(cores) ? cores : undefined,
  };
}

function combine(runs: readonly Run[]): Throughput {
  const latencies = runs.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const ok = runs.reduce((sum, r) => sum + r.ok, 0);
  const seconds = runs.reduce((sum, r) => sum + r.seconds, 0);
  return {
    perSecond: ok / seconds,
    ok,
    failures: runs.reduce((sum, r) => sum + r.failures, 0),
    firstFailure: runs.find((r) => r.firstFailure !== '')?.firstFailure ?? '',
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    used: runs.reduce((sum, r) => sum + r.used, 0),
    ranOut: runs.some((r) => r.ranOut),
    seconds,
  };
}

interface BenchResident {
  readonly subject: string;
  readonly token: string;
  readonly device: Device;
}

/** A resident as identity makes one: a P-256 device key and a token bound to it (`cnf.jkt`). */
async function residentOf(baseUrl: string, sign: Sign): Promise<BenchResident> {
  const device = await Device.create(baseUrl);
  const subject = randomBytes(8).toString('hex');
  const token = await sign({
    kind: 'resident',
    sub: subject,
    client_id: 'tongban-resident',
    roles: ['resident'],
    scope: '',
    cnf: { jkt: await calculateJwkThumbprint(device.publicJwk) },
  });
  return { subject, token, device };
}

const RESTAURANT_FORM = {
  businessName: '老街面馆',
  premisesAddress: '青云路 18 号一层',
  floorAreaSqm: 86.5,
  seats: 40,
  legalRepresentative: '张伟',
};

/** `count` submissions spread over the residents, each with its own proof and key. */
async function submissions(residents: readonly BenchResident[], count: number) {
  const plan: Prepared[] = [];
  for (let start = 0; start < count; start += 500) {
    const chunk = await Promise.all(
      Array.from({ length: Math.min(500, count - start) }, async (_, i): Promise<Prepared> => {
        const n = start + i;
        const resident = residents[n % residents.length] as BenchResident;
        return {
          method: 'POST',
          path: '/v1/cases',
          headers: {
            authorization: `DPoP ${resident.token}`,
            dpop: await resident.device.proof('POST', '/v1/cases', resident.token),
            'idempotency-key': randomUUID(),
            'content-type': 'application/json',
          },
          body: JSON.stringify({
            service: 'open_restaurant',
            form: { ...RESTAURANT_FORM, businessName: `老街面馆 ${n}` },
          }),
        };
      }),
    );
    plan.push(...chunk);
  }
  return plan;
}

/**
 * autocannon over prepared requests, each sent at most once; stops when the time is up or the
 * requests run out. Latency is timed per request, from when autocannon builds it (right before
 * writing it to an idle connection) to its response.
 */
async function hammer(
  baseUrl: string,
  plan: readonly Prepared[],
  options: { connections: number; durationS: number; expect: number },
): Promise<Run> {
  let next = 0;
  let failures = 0;
  let firstFailure = '';
  const latencies: number[] = [];
  const started = performance.now();
  const result = await autocannon({
    url: baseUrl,
    connections: options.connections,
    duration: options.durationS,
    maxOverallRequests: plan.length,
    timeout: 10,
    requests: [
      {
        setupRequest: (request, context) => {
          // Past the end (autocannon may build one more per connection as it stops) the last
          // request is repeated; sent, it would fail loudly instead of passing silently.
          const p = plan[Math.min(next++, plan.length - 1)] as Prepared;
          context.sentAt = performance.now();
          return { ...request, method: p.method, path: p.path, headers: p.headers, body: p.body };
        },
        onResponse: (status, body, context) => {
          latencies.push(performance.now() - (context.sentAt as number));
          if (status !== options.expect) {
            failures++;
            firstFailure ||= `${status} ${body.slice(0, 300)}`;
          }
        },
      },
    ],
  });
  return {
    ok: result.statusCodeStats[String(options.expect)]?.count ?? 0,
    failures: failures + result.errors + result.timeouts,
    firstFailure,
    latencies,
    used: Math.min(next, plan.length),
    ranOut: next >= plan.length,
    seconds: (performance.now() - started) / 1000,
  };
}

type RawOp = (client: pg.PoolClient, index: number) => Promise<void>;

/** `inFlight` connections each running `op` in turn until the time or the `limit` is up. */
async function rawLoop(
  pool: pg.Pool,
  inFlight: number,
  durationMs: number,
  limit: number,
  op: RawOp,
  startAt = 0,
): Promise<Run> {
  let next = startAt;
  const latencies: number[] = [];
  const deadline = performance.now() + durationMs;
  const started = performance.now();
  const worker = async () => {
    const client = await pool.connect();
    try {
      while (performance.now() < deadline && next < limit) {
        const index = next++;
        const t0 = performance.now();
        await client.query('BEGIN');
        try {
          await op(client, index);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw err;
        }
        latencies.push(performance.now() - t0);
      }
    } finally {
      client.release();
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return {
    ok: latencies.length,
    failures: 0,
    firstFailure: '',
    latencies,
    used: next - startAt,
    ranOut: next >= limit,
    seconds: (performance.now() - started) / 1000,
  };
}

/**
 * What a submission has to write, written the plainest way: in one transaction the proof id, the
 * counter, the case, its tasks (one statement), its events and outbox rows (one statement each)
 * and the idempotency key with the stored answer.
 */
function rawSubmission(year: number): RawOp {
  const steps = [
    { id: 'business_licence', department: DEPARTMENT, kind: 'register', sla: 3, open: true },
    { id: 'final_issuance', department: DEPARTMENT, kind: 'issue', sla: 2, open: false },
    { id: 'fire_inspection', department: 'fire_safety', kind: 'inspect', sla: 10, open: true },
    { id: 'food_permit', department: DEPARTMENT, kind: 'review', sla: 10, open: true },
  ];
  return async (client, index) => {
    const now = new Date();
    const day = 86_400_000;
    const caseId = randomUUID();
    const subject = randomBytes(8).toString('hex');
    const form = { ...RESTAURANT_FORM, businessName: `老街面馆 raw ${index}` };
    const caseDue = new Date(now.getTime() + 16 * day);
    await client.query(
      'insert into workflow.proof_jtis (jkt, jti, expires_at) values ($1, $2, $3)',
      [
        randomBytes(32).toString('base64url'),
        randomBytes(16).toString('base64url'),
        new Date(now.getTime() + 120_000),
      ],
    );
    const { rows } = await client.query<{ last: number }>(
      `insert into workflow.case_numbers (prefix, year, last) values ($1, $2, 1)
       on conflict (prefix, year) do update set last = workflow.case_numbers.last + 1
       returning last`,
      [PREFIX, year],
    );
    const number = `${PREFIX}${year}-${String(rows[0]?.last ?? 0).padStart(6, '0')}`;
    await client.query(
      `insert into workflow.cases (id, number, tracking_code, service_code, service_version,
         subject_id, submitted_by_kind, submitted_by, form, records, records_pulled_at, status,
         version, sla_working_days, due_at, pauses, submitted_at, updated_at)
       values ($1, $2, $3, 'open_restaurant', 1, $4, 'resident', $4, $5, '[]', null,
         'in_progress', 1, 12, $6, '[]', $7, $7)`,
      [
        caseId,
        number,
        randomBytes(15).toString('base64url').toUpperCase(),
        subject,
        form,
        caseDue,
        now,
      ],
    );
    const tasks = steps.map((s) => ({
      ...s,
      taskId: randomUUID(),
      due: s.open ? new Date(now.getTime() + s.sla * 1.4 * day) : null,
    }));
    await client.query(
      `insert into workflow.tasks (id, case_id, step_id, department, kind, status,
         sla_working_days, opened_at, due_at)
       select * from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[],
         $6::text[], $7::int[], $8::timestamptz[], $9::timestamptz[])`,
      [
        tasks.map((t) => t.taskId),
        tasks.map(() => caseId),
        tasks.map((t) => t.id),
        tasks.map((t) => t.department),
        tasks.map((t) => t.kind),
        tasks.map((t) => (t.open ? 'open' : 'waiting')),
        tasks.map((t) => t.sla),
        tasks.map((t) => (t.open ? now : null)),
        tasks.map((t) => t.due),
      ],
    );
    const aggregate = { type: 'case', id: caseId, version: 1 };
    const events = [
      {
        type: 'case.submitted',
        audience: null,
        data: {
          caseId,
          number,
          service: 'open_restaurant',
          serviceVersion: 1,
          submittedBy: 'resident',
          dueAt: caseDue.toISOString(),
        },
      },
      ...tasks
        .filter((t) => t.open)
        .map((t) => ({
          type: 'task.opened',
          audience: t.department,
          data: {
            caseId,
            number,
            service: 'open_restaurant',
            subjectId: subject,
            taskId: t.taskId,
            step: t.id,
            department: t.department,
            dueAt: t.due?.toISOString() ?? null,
          },
        })),
    ].map((e) => ({ ...e, id: uuidV7(now) }));
    await client.query(
      `insert into workflow.events (id, aggregate_type, aggregate_id, aggregate_version, type,
         actor, actor_department, request_id, data, occurred_at)
       select id, 'case', $2, 1, type, $3, null, $4, data, $5
         from unnest($1::uuid[], $6::text[], $7::jsonb[]) as e(id, type, data)`,
      [
        events.map((e) => e.id),
        caseId,
        `resident:${subject}`,
        `req-${index}`,
        now,
        events.map((e) => e.type),
        events.map((e) => JSON.stringify(e.data)),
      ],
    );
    await client.query(
      `insert into workflow.outbox (event_id, type, audience, payload, created_at)
       select * , $5::timestamptz
         from unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[])`,
      [
        events.map((e) => e.id),
        events.map((e) => e.type),
        events.map((e) => e.audience),
        events.map((e) => JSON.stringify({ aggregate, ...e.data })),
        now,
      ],
    );
    const answer = {
      id: caseId,
      number,
      service: { code: 'open_restaurant', version: 1 },
      status: 'in_progress',
      version: 1,
      form,
      dueAt: caseDue.toISOString(),
      tasks: tasks.map((t) => ({
        id: t.taskId,
        step: t.id,
        department: t.department,
        status: t.open ? 'open' : 'waiting',
        dueAt: t.due?.toISOString() ?? null,
      })),
    };
    await client.query(
      `insert into workflow.idempotency_keys (scope, key, method, path, request_hash, status,
         response_status, response_body, response_headers, created_at, expires_at)
       values ($1, $2, 'POST', '/v1/cases', $3, 'done', 201, $4, $5, $6, $7)`,
      [
        `resident:${subject}`,
        randomUUID(),
        randomBytes(32).toString('hex'),
        answer,
        { location: `/v1/cases/${caseId}`, etag: `"${caseId}.v1"` },
        now,
        new Date(now.getTime() + day),
      ],
    );
  };
}

/** What an approval has to do: read the case and its tasks, move both conditionally, one event. */
function rawDecision(cases: readonly { case_id: string; task_id: string }[]): RawOp {
  return async (client, index) => {
    const target = cases[index] as { case_id: string; task_id: string };
    const now = new Date();
    const actor = `staff:officer-${DEPARTMENT}`;
    await client.query('select * from workflow.cases where id = $1', [target.case_id]);
    await client.query('select * from workflow.tasks where case_id = $1 order by step_id', [
      target.case_id,
    ]);
    const head = await client.query<{ version: number; number: string }>(
      `update workflow.cases set status = 'in_progress', updated_at = $2, version = version + 1
        where id = $1 and version = 1 returning *`,
      [target.case_id, now],
    );
    const task = await client.query(
      `update workflow.tasks set status = 'approved', decided_at = $2, decided_by = $3, reason = $4
        where id = $1 and status = 'open' returning *`,
      [target.task_id, now, actor, REASON],
    );
    const row = head.rows[0];
    if (row === undefined || task.rowCount !== 1) {
      throw new Error(`raw decision of case ${target.case_id} found it moved`);
    }
    const id = uuidV7(now);
    const data = {
      caseId: target.case_id,
      number: row.number,
      taskId: target.task_id,
      step: 'business_licence',
      department: DEPARTMENT,
      decision: 'approve',
      reason: REASON,
    };
    await client.query(
      `insert into workflow.events (id, aggregate_type, aggregate_id, aggregate_version, type,
         actor, actor_department, request_id, data, occurred_at)
       values ($1, 'case', $2, $3, 'task.decided', $4, $5, $6, $7, $8)`,
      [id, target.case_id, row.version, actor, DEPARTMENT, `req-${index}`, data, now],
    );
    await client.query(
      `insert into workflow.outbox (event_id, type, audience, payload, created_at)
       values ($1, 'task.decided', $2, $3, $4)`,
      [
        id,
        DEPARTMENT,
        { aggregate: { type: 'case', id: target.case_id, version: row.version }, ...data },
        now,
      ],
    );
  };
}

// ---------------------------------------------------------------------------------------------
// 2. The department queue

const WARM_UP_ROUNDS = 50;

interface Latency {
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
  readonly requests: number;
}

/** One database at one size, and the pages asked of it. */
interface QueueWorld {
  readonly cases: number;
  readonly service: ServiceProcess;
  readonly pool: pg.Pool;
  tasks: number;
  openTasks: number;
  seedMs: number;
  vacuumMs: number;
  depth: number;
  /** The deep page's cursor: the real row `depth` deep, as (due, id). */
  after: { due: string; id: string };
  /** The first task the deep page must begin with. */
  deepFirstId: string;
  readonly first: number[];
  readonly deep: number[];
}

/**
 * Each size gets its own workflow process and database, seeded and vacuumed first; then the
 * requests go round-robin over the sizes (first page, deep page, next size, …), so whatever else
 * loads the machine meanwhile weighs on every size alike.
 */
async function measureQueue({
  startWorkflow,
  sign,
  config,
  log,
}: {
  startWorkflow: () => Promise<ServiceProcess>;
  sign: Sign;
  config: { readonly queueRequests: number; readonly queueCases: readonly number[] };
  log: (line: string) => void;
}) {
  const officer = await sign({
    kind: 'staff',
    sub: `officer-${DEPARTMENT}`,
    client_id: 'tongban-portal',
    department: DEPARTMENT,
    roles: ['case_officer'],
    scope: 'cases:read cases:decide',
  });
  const now = new Date();
  const worlds: QueueWorld[] = [];
  try {
    for (const cases of config.queueCases) {
      const service = await startWorkflow();
      const pool = new pg.Pool({ connectionString: service.databaseUrl, max: 4 });
      const world: QueueWorld = {
        cases,
        service,
        pool,
        tasks: 0,
        openTasks: 0,
        seedMs: 0,
        vacuumMs: 0,
        depth: 0,
        after: { due: '', id: '' },
        deepFirstId: '',
        first: [],
        deep: [],
      };
      worlds.push(world);
      await prepareQueue(world, now, log);
    }

    const pathOf = (world: QueueWorld, deep: boolean) =>
      `/v1/departments/${DEPARTMENT}/tasks${deep ? `?cursor=${encodeCursor([world.after.due, world.after.id])}` : ''}`;
    for (let round = -WARM_UP_ROUNDS; round < config.queueRequests; round++) {
      for (let k = 0; k < worlds.length; k++) {
        const world = worlds[(k + round + WARM_UP_ROUNDS) % worlds.length] as QueueWorld;
        const first = await pageOnce(world.service.baseUrl, pathOf(world, false), officer);
        const deep = await pageOnce(
          world.service.baseUrl,
          pathOf(world, true),
          officer,
          world.deepFirstId,
        );
        if (round >= 0) {
          world.first.push(first);
          world.deep.push(deep);
        }
      }
    }

    const sizes = [];
    let sql = '';
    for (const world of worlds) {
      const firstQuery = await queueQuery(world.pool, undefined);
      const deepQuery = await queueQuery(world.pool, world.after);
      sql = firstQuery.sql;
      const first = summary(world.first);
      const deep = summary(world.deep);
      log(
        `queue at ${fmt.int(world.cases)}: first p50 ${fmt.ms(first.p50)}, after ${fmt.int(world.depth)} p50 ${fmt.ms(deep.p50)}`,
      );
      sizes.push({
        cases: world.cases,
        tasks: world.tasks,
        openTasks: world.openTasks,
        seedMs: world.seedMs,
        vacuumMs: world.vacuumMs,
        depth: world.depth,
        first,
        deep,
        firstPlan: await explain(world.pool, firstQuery),
        deepPlan: await explain(world.pool, deepQuery),
      });
    }
    return { sizes, sql };
  } finally {
    for (const world of worlds) {
      await world.pool.end();
      await world.service.stop();
    }
  }
}

/** Seeds the world's cases, vacuums as autovacuum would have, and finds the deep page's row. */
async function prepareQueue(world: QueueWorld, now: Date, log: (line: string) => void) {
  const t0 = performance.now();
  await seedCases(world.pool, {
    from: 1,
    to: world.cases,
    now,
    onBatch: (n) => {
      if (n % 200_000 === 0) log(`seeded ${fmt.int(n)} cases (${fmt.s(performance.now() - t0)})`);
    },
  });
  world.seedMs = performance.now() - t0;
  const t1 = performance.now();
  await world.pool.query('vacuum (analyze) workflow.cases, workflow.tasks');
  world.vacuumMs = performance.now() - t1;
  log(
    `${fmt.int(world.cases)} cases seeded in ${fmt.s(world.seedMs)}, vacuumed in ${fmt.s(world.vacuumMs)}`,
  );

  const { rows: counts } = await world.pool.query<{ tasks: string; open: string }>(
    `select count(*) as tasks,
            count(*) filter (where department = $1 and status = 'open') as open
       from workflow.tasks`,
    [DEPARTMENT],
  );
  world.tasks = Number(counts[0]?.tasks ?? 0);
  world.openTasks = Number(counts[0]?.open ?? 0);
  // The real row `depth` deep in the queue, in the order the query pages in, and the one after it.
  world.depth = Math.min(DEEP, world.openTasks - PAGE - 1);
  if (world.depth < 1) throw new Error(`only ${world.openTasks} open tasks in the queue`);
  const { rows } = await world.pool.query<{ due_at: Date; id: string }>(
    `select due_at, id from workflow.tasks
      where department = $1 and status = 'open'
      order by due_at, id offset $2 limit 2`,
    [DEPARTMENT, world.depth - 1],
  );
  const [key, next] = rows;
  if (key === undefined || next === undefined) throw new Error('no row at that depth');
  world.after = { due: key.due_at.toISOString(), id: key.id };
  world.deepFirstId = next.id;
}

/** One request, checked (a full page; the deep page beginning at the right task); its time. */
async function pageOnce(baseUrl: string, path: string, bearer: string, firstId?: string) {
  const t0 = performance.now();
  const res = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${bearer}` } });
  const text = await res.text();
  const elapsed = performance.now() - t0;
  if (res.status !== 200) throw new Error(`GET ${path} → ${res.status} ${text.slice(0, 300)}`);
  const body = JSON.parse(text) as { items: { id: string }[] };
  if (body.items.length !== PAGE) throw new Error(`GET ${path}: ${body.items.length} items`);
  if (firstId !== undefined && body.items[0]?.id !== firstId) {
    throw new Error(`GET ${path} began at ${body.items[0]?.id}, not at ${firstId}`);
  }
  return elapsed;
}

function summary(samples: readonly number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    mean: sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length),
    requests: sorted.length,
  };
}

/** The statement departmentQueue sends for the open view, captured from drizzle as it runs. */
async function queueQuery(
  pool: pg.Pool,
  after: { due: string; id: string } | undefined,
): Promise<{ sql: string; params: unknown[] }> {
  const captured: { sql: string; params: unknown[] }[] = [];
  const db = drizzle(pool, {
    logger: { logQuery: (sql, params) => captured.push({ sql, params }) },
  }) as unknown as Db;
  // As listDepartmentTasks asks it: one page and one more row, to know there is a next page.
  await departmentQueue(db, {
    department: DEPARTMENT,
    statuses: ['open'],
    limit: PAGE + 1,
    ...(after === undefined ? {} : { after }),
  });
  const query = captured[0];
  if (query === undefined) throw new Error('departmentQueue sent no query');
  return query;
}

async function explain(pool: pg.Pool, query: { sql: string; params: unknown[] }) {
  const { rows } = await pool.query<{ 'QUERY PLAN': string }>(
    `explain (analyze, buffers) ${query.sql}`,
    query.params,
  );
  return rows.map((r) => r['QUERY PLAN']).join('\n');
}

// ---------------------------------------------------------------------------------------------

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0;
}

const latency = (l: { p50: number; p99: number }) => `${fmt.ms(l.p50)} / ${fmt.ms(l.p99)}`;

const failureNote = (t: Throughput) => (t.failures > 0 ? `!!! ${t.firstFailure.slice(0, 80)}` : '');

const sizeName = (size: { cases: number }) =>
  size.cases >= 1_000_000 && size.cases % 1_000_000 === 0
    ? `${size.cases / 1_000_000}M`
    : size.cases >= 1_000 && size.cases % 1_000 === 0
      ? `${size.cases / 1_000}k`
      : String(size.cases);

function flatRow(label: string, ratio: number): Row {
  const flat = Math.abs(ratio - 1) <= FLAT_WITHIN;
  return [
    label,
    fmt.pct(ratio),
    `flat within ±${FLAT_WITHIN * 100} %: ${flat ? 'PASS' : 'OUTSIDE'}`,
  ];
}

function sizesFromEnv(name: string, fallback: number[]): number[] {
  const text = process.env[name]?.trim();
  if (!text) return fallback;
  const sizes = text.split(',').map((s) => Number(s.trim()));
  if (
    sizes.some((s) => !Number.isSafeInteger(s) || s < 1) ||
    sizes.some((s, i) => i > 0 && s <= (sizes[i - 1] as number))
  ) {
    throw new Error(`${name} must be increasing positive integers, comma separated; got "${text}"`);
  }
  return sizes;
}
