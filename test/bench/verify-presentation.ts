// How fast a counter can verify presentation QR codes: identity runs as in production (its own
// process, server.ts, PGlite in a temporary folder or a fresh database at DATABASE_URL), gets its
// clerk, residents and phones through its HTTP API, mints a minute's worth of single-use tokens,
// and autocannon spends one per request. The same tokens then go through bare jose jwtVerify in
// this process, and the table compares the two.
//
// Knobs (environment): BENCH_TOKENS (30000), BENCH_DURATION_S (10), BENCH_CONNECTIONS (50),
// BENCH_RESIDENTS (8), BENCH_MINT_CONCURRENCY (32), BENCH_RAW_CONCURRENCY (64), BENCH_WARMUP
// (1000), BENCH_WORKERS (every core when DATABASE_URL is set, else 1: identity's processes behind
// one port, lib/identity-cluster.ts), and BENCH_CPU_PROF_DIR to write the service's V8 CPU
// profile there (--cpu-prof).
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { PRESENTATION_TYP } from '@tongban/tokens';
import autocannon, { type Result } from 'autocannon';
import { decodeProtectedHeader, importJWK, type JWK, type JWTVerifyOptions, jwtVerify } from 'jose';
import { type Bench, intFromEnv } from './lib/bench.js';
import { IdentityClient, type Resident } from './lib/identity-client.js';
import { startIdentity } from './lib/identity-service.js';
import { fmt, formatTable, machineInfo, type Row, writeJson } from './lib/report.js';

const NAME = 'verify-presentation';
const PATH = '/v1/presentations/verify';
const RESULTS_FILE = fileURLToPath(new URL(`./results/${NAME}.json`, import.meta.url));
/** From ARCHITECTURE.md: a bare Fastify verify route reached ~72 % of raw jose. */
const TARGET_RATIO = 0.6;
/** Issue 7, with the service on every core: ≥ 30 % of raw in flight, p99 ≤ 50 ms. */
const TARGET_EVERY_CORE = 0.3;
const TARGET_P99_MS = 50;
/** A presentation token lives 60 s (online verification allows under a second of skew). */
const TOKEN_LIFETIME_MS = 60_000;
/**
 * Between the first token minted and the last request sent, besides minting and the measured
 * duration: autocannon notices its deadline on a 1 s tick, and requests in flight may take seconds.
 */
const EXPIRY_MARGIN_MS = 8_000;

interface Config {
  readonly tokens: number;
  readonly durationS: number;
  readonly connections: number;
  readonly residents: number;
  readonly mintConcurrency: number;
  readonly rawConcurrency: number;
  readonly warmup: number;
  readonly cpuProfileDir: string | undefined;
  readonly workers: number;
}

function readConfig(): Config {
  const config: Config = {
    tokens: intFromEnv('BENCH_TOKENS', 30_000),
    durationS: intFromEnv('BENCH_DURATION_S', 10),
    connections: intFromEnv('BENCH_CONNECTIONS', 50),
    residents: intFromEnv('BENCH_RESIDENTS', 8),
    mintConcurrency: intFromEnv('BENCH_MINT_CONCURRENCY', 32),
    rawConcurrency: intFromEnv('BENCH_RAW_CONCURRENCY', 64),
    warmup: intFromEnv('BENCH_WARMUP', 1_000),
    cpuProfileDir: process.env.BENCH_CPU_PROF_DIR?.trim() || undefined,
    workers: intFromEnv(
      'BENCH_WORKERS',
      process.env.DATABASE_URL?.trim() ? availableParallelism() : 1,
    ),
  };
  if (config.durationS * 1000 + EXPIRY_MARGIN_MS + 10_000 > TOKEN_LIFETIME_MS) {
    throw new Error(
      `BENCH_DURATION_S=${config.durationS} leaves under 10 s to mint tokens that live 60 s`,
    );
  }
  if (config.tokens < config.connections) {
    throw new Error('BENCH_TOKENS must be at least BENCH_CONNECTIONS');
  }
  return config;
}

export const bench: Bench = {
  name: NAME,
  summary: `POST ${PATH} over HTTP against raw jose jwtVerify of the same tokens`,
  timeoutMs: 6 * 60_000,
  run,
};

async function run(): Promise<void> {
  const config = readConfig();
  const machine = machineInfo();
  const log = (line: string) => process.stdout.write(`  ${line}\n`);

  log(
    `starting identity (${process.env.DATABASE_URL ? 'PostgreSQL at DATABASE_URL' : 'PGlite'}, ${config.workers} worker(s))`,
  );
  const service = await startIdentity({
    workers: config.workers,
    nodeFlags: config.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${config.cpuProfileDir}`] : [],
  });
  try {
    log(
      `identity ready on ${service.baseUrl} in ${fmt.s(service.startupMs)} (pid ${service.pid}, ${service.data})`,
    );
    const client = new IdentityClient(service.baseUrl);
    const admin = await client.login('admin', service.adminPassword);
    const clerk = await client.counterClerk(admin);
    const residents: Resident[] = [];
    for (let i = 0; i < config.residents; i++) {
      residents.push(await client.residentWithDevice(clerk));
    }
    const jwks = (await client.expect(200, 'GET', '/.well-known/jwks.json')).keys as JWK[];

    // Warms the JIT and the database's caches on the measured route, and proves that the route
    // answers 200 before a minute's worth of tokens is spent on it.
    const warm = await mint(client, residents, config.warmup, config.mintConcurrency, 30_000);
    const warmStatuses = await verifyEach(client, clerk, warm.tokens, 16);
    if (Object.keys(warmStatuses).some((status) => status !== '200')) {
      throw new Error(`warm-up verifications were not all 200: ${JSON.stringify(warmStatuses)}`);
    }
    log(`warm-up: ${fmt.int(warm.tokens.length)} tokens minted and verified (all 200)`);

    const mintBudgetMs = TOKEN_LIFETIME_MS - config.durationS * 1000 - EXPIRY_MARGIN_MS;
    const minted = await mint(
      client,
      residents,
      config.tokens,
      config.mintConcurrency,
      mintBudgetMs,
    );
    log(
      `minted ${fmt.int(minted.tokens.length)} tokens in ${fmt.s(minted.ms)} ` +
        `(${fmt.int(minted.tokens.length / (minted.ms / 1000))}/s, ${config.mintConcurrency} in flight)` +
        (minted.budgetHit ? `: stopped at the ${fmt.s(mintBudgetMs)} budget so none expires` : ''),
    );

    log(`load: ${config.connections} connections, ${config.durationS} s or until tokens run out`);
    const serviceCpuBefore = service.cpuSeconds();
    const selfCpuBefore = process.cpuUsage();
    const load = await loadEndpoint(service.baseUrl, clerk, minted.tokens, config);
    const selfCpu = process.cpuUsage(selfCpuBefore);
    const serviceCpuAfter = service.cpuSeconds();
    const wallS = load.result.duration;
    const serviceCores =
      serviceCpuBefore === undefined || serviceCpuAfter === undefined
        ? undefined
        : (serviceCpuAfter - serviceCpuBefore) / wallS;
    const loadGeneratorCores = (selfCpu.user + selfCpu.system) / 1e6 / wallS;

    // The baseline gets the machine to itself, as the service had (but for the load generator).
    await service.stop();
    log(`identity stopped; ${service.data} removed`);

    const firstToken = minted.tokens[0] ?? '';
    const { kid } = decodeProtectedHeader(firstToken);
    const jwk = jwks.find((k) => k.kid === kid);
    if (!jwk) throw new Error(`kid ${kid} of the tokens is not in the JWKS`);
    const key = await importJWK(jwk, 'EdDSA');
    const verifyOptions: JWTVerifyOptions = {
      algorithms: ['EdDSA'],
      typ: PRESENTATION_TYP,
      // Every token was minted after this instant and lives 60 s: inside all their windows.
      currentDate: new Date(minted.startedAt),
    };
    const verifyRaw = (token: string) => jwtVerify(token, key, verifyOptions);
    log(
      `raw jose: ${config.durationS} s sequential, then ${config.durationS} s with ${config.rawConcurrency} in flight`,
    );
    await rawRate(minted.tokens, verifyRaw, 1, 1_000);
    const rawSequential = await rawRate(minted.tokens, verifyRaw, 1, config.durationS * 1000);
    const rawConcurrent = await rawRate(
      minted.tokens,
      verifyRaw,
      config.rawConcurrency,
      config.durationS * 1000,
    );

    const loadAfter = Math.round((loadavg()[0] ?? 0) * 100) / 100;
    const r = load.result;
    const endpointRps = r.requests.mean;
    const ratioSequential = endpointRps / rawSequential;
    const ratioConcurrent = endpointRps / rawConcurrent;
    const verdict = (ratio: number) => (ratio >= TARGET_RATIO ? 'PASS' : 'BELOW');
    const everyCore =
      ratioConcurrent >= TARGET_EVERY_CORE && r.latency.p99 <= TARGET_P99_MS ? 'PASS' : 'BELOW';
    const failed = r.non2xx + r.errors + r.timeouts + load.unexpectedBodies;
    const statusText = Object.entries(r.statusCodeStats)
      .map(([status, { count }]) => `${status} × ${fmt.int(count)}`)
      .join(', ');

    const rows: Row[] = [
      ['machine', `${machine.cores} cores`, `${machine.cpu}, ${machine.memoryGiB} GiB`],
      ['node', machine.node, `${machine.platform}, UV_THREADPOOL_SIZE ${machine.uvThreadpoolSize}`],
      [
        'database',
        service.engine,
        service.engine === 'pglite' ? 'embedded, inside the service process' : 'DATABASE_URL',
      ],
      [
        'load average (1 min)',
        `${machine.loadAverage1m} → ${loadAfter}`,
        machine.loadAverage1m > machine.cores || loadAfter > machine.cores + 1
          ? 'other work shares this machine: numbers are noisy'
          : 'before → after the run',
      ],
      [
        'service processes',
        String(service.workers),
        service.workers > 1 ? 'node:cluster workers behind one port' : 'one process',
      ],
      ['service startup', fmt.s(service.startupMs), 'until /readyz answered 200'],
      [
        'tokens minted',
        fmt.int(minted.tokens.length),
        `in ${fmt.s(minted.ms)} for ${config.residents} residents (${fmt.int(minted.tokens.length / (minted.ms / 1000))}/s)`,
      ],
      [''],
      [
        `POST ${PATH}`,
        `${config.connections} conn`,
        `${wallS} s${load.tokensExhausted ? ', stopped early: tokens ran out' : ''}`,
      ],
      ['  req/s (mean)', fmt.int(endpointRps), `${fmt.int(r['2xx'])} × 200 in ${wallS} s`],
      ['  latency p50', fmt.ms(r.latency.p50)],
      ['  latency p99', fmt.ms(r.latency.p99), `max ${fmt.ms(r.latency.max)}`],
      ['  non-2xx', fmt.int(r.non2xx), r.non2xx > 0 ? `!!! ${statusText}` : ''],
      [
        '  errors / timeouts',
        `${r.errors} / ${r.timeouts}`,
        r.errors + r.timeouts > 0 ? '!!!' : '',
      ],
      ...(load.unexpectedBodies > 0
        ? [['  200 without a verification', fmt.int(load.unexpectedBodies), '!!!'] as const]
        : []),
      [
        '  service CPU',
        serviceCores === undefined ? 'n/a' : `${serviceCores.toFixed(2)} cores`,
        'main thread + threadpool',
      ],
      [
        '  load generator CPU',
        `${loadGeneratorCores.toFixed(2)} cores`,
        'autocannon, same machine',
      ],
      [''],
      [`raw jose jwtVerify`, 'verifies/s', 'EdDSA, same tokens, this process'],
      ['  sequential', fmt.int(rawSequential)],
      [
        `  ${config.rawConcurrency} in flight`,
        fmt.int(rawConcurrent),
        'WebCrypto on the threadpool',
      ],
      [''],
      [
        'endpoint / raw sequential',
        fmt.pct(ratioSequential),
        `target ≥ 60 % of raw verify rate: ${verdict(ratioSequential)}`,
      ],
      [
        `endpoint / raw ${config.rawConcurrency} in flight`,
        fmt.pct(ratioConcurrent),
        `target ≥ 60 % of raw verify rate: ${verdict(ratioConcurrent)}`,
      ],
      [
        `every core: endpoint / raw in flight`,
        fmt.pct(ratioConcurrent),
        `target ≥ 30 % and p99 ≤ ${TARGET_P99_MS} ms (${service.workers} workers): ${everyCore}`,
      ],
    ];
    const alarm =
      failed === 0
        ? ''
        : [
            '!'.repeat(78),
            `!!! THIS RUN HAD ERRORS: ${fmt.int(r.non2xx)} non-2xx (${statusText}), ${r.errors} connection errors, ${r.timeouts} timeouts, ${load.unexpectedBodies} 200s without a verification.`,
            '!!! Its req/s is not a verification rate. First failed responses:',
            ...load.failures.map((f) => `!!!   ${f.status} ${f.body}`),
            '!'.repeat(78),
            '',
          ].join('\n');
    process.stdout.write(
      `\n${alarm}${formatTable(`${NAME} (${service.engine}, ${machine.cores} cores, Node ${machine.node})`, rows)}${alarm}`,
    );

    await writeJson(RESULTS_FILE, {
      bench: NAME,
      at: new Date().toISOString(),
      ok: failed === 0,
      machine,
      loadAverage1mAfter: loadAfter,
      config,
      database: service.engine,
      setup: {
        serviceStartupMs: Math.round(service.startupMs),
        residents: config.residents,
        warmupTokens: warm.tokens.length,
        tokensMinted: minted.tokens.length,
        mintMs: Math.round(minted.ms),
        mintPerSecond: Math.round(minted.tokens.length / (minted.ms / 1000)),
        mintBudgetHit: minted.budgetHit,
      },
      endpoint: {
        path: PATH,
        connections: config.connections,
        durationS: wallS,
        tokensExhausted: load.tokensExhausted,
        requestsPerSecondMean: Math.round(endpointRps),
        requestsSent: r.requests.sent,
        responses2xx: r['2xx'],
        non2xx: r.non2xx,
        statusCodes: Object.fromEntries(
          Object.entries(r.statusCodeStats).map(([status, { count }]) => [status, count]),
        ),
        errors: r.errors,
        timeouts: r.timeouts,
        unexpectedBodies: load.unexpectedBodies,
        latencyMs: {
          mean: r.latency.mean,
          p50: r.latency.p50,
          p90: r.latency.p90,
          p99: r.latency.p99,
          max: r.latency.max,
        },
        serviceCpuCores: serviceCores,
        loadGeneratorCpuCores: loadGeneratorCores,
        failedResponses: load.failures,
      },
      rawJose: {
        sequentialPerSecond: Math.round(rawSequential),
        concurrentPerSecond: Math.round(rawConcurrent),
        concurrency: config.rawConcurrency,
      },
      ratio: { sequential: ratioSequential, concurrent: ratioConcurrent },
      target: TARGET_RATIO,
      verdict: { sequential: verdict(ratioSequential), concurrent: verdict(ratioConcurrent) },
      workers: service.workers,
      everyCore: { target: TARGET_EVERY_CORE, p99TargetMs: TARGET_P99_MS, verdict: everyCore },
    });
    log(`results written to ${RESULTS_FILE}`);
    if (failed > 0) {
      process.stdout.write(`  identity's last log lines:\n${service.output().slice(-2000)}\n`);
    }
  } finally {
    await service.stop();
  }
}

/**
 * Mints up to `count` presentation tokens, round-robin over the residents, `concurrency` at a
 * time, in the order they are consumed later (oldest first). Stops early at `budgetMs`.
 */
async function mint(
  client: IdentityClient,
  residents: readonly Resident[],
  count: number,
  concurrency: number,
  budgetMs: number,
) {
  const tokens: string[] = [];
  const startedAt = Date.now();
  const started = performance.now();
  const deadline = started + budgetMs;
  let next = 0;
  let budgetHit = false;
  let failed = false;
  const worker = async () => {
    while (next < count && !failed) {
      if (performance.now() >= deadline) {
        budgetHit = true;
        return;
      }
      const resident = residents[next++ % residents.length];
      if (!resident) throw new Error('no residents');
      try {
        tokens.push(await client.presentation(resident));
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { tokens, startedAt, ms: performance.now() - started, budgetHit };
}

/** Verifies each token once over fetch; returns the count of each status. */
async function verifyEach(
  client: IdentityClient,
  clerk: string,
  tokens: readonly string[],
  concurrency: number,
): Promise<Record<string, number>> {
  const statuses: Record<string, number> = {};
  let next = 0;
  const worker = async () => {
    while (next < tokens.length) {
      const token = tokens[next++];
      const res = await client.call('POST', PATH, {
        headers: { authorization: `Bearer ${clerk}` },
        body: { token },
      });
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return statuses;
}

/**
 * Every request carries the next unused token: they are single-use, so a repeated one would be
 * measured as a 409. `maxOverallRequests` (not `amount`, which disables the duration) ends the run
 * when the tokens run out, and autocannon calls setupRequest exactly once per request it sends.
 */
async function loadEndpoint(
  baseUrl: string,
  clerk: string,
  tokens: readonly string[],
  config: Config,
): Promise<{
  result: Result;
  tokensExhausted: boolean;
  failures: { status: number; body: string }[];
  /** 200s whose body is not a verification: counted as failures too. */
  unexpectedBodies: number;
}> {
  let next = 0;
  let unexpectedBodies = 0;
  const failures: { status: number; body: string }[] = [];
  const last = tokens.length - 1;
  const result = await autocannon({
    url: `${baseUrl}${PATH}`,
    method: 'POST',
    headers: { authorization: `Bearer ${clerk}`, 'content-type': 'application/json' },
    connections: config.connections,
    duration: config.durationS,
    maxOverallRequests: tokens.length,
    timeout: 10,
    requests: [
      {
        setupRequest: (request) => ({
          ...request,
          body: JSON.stringify({ token: tokens[Math.min(next++, last)] }),
        }),
        onResponse: (status, body) => {
          const ok = status === 200 && body.includes('"verificationId"');
          if (status === 200 && !ok) unexpectedBodies++;
          if (!ok && failures.length < 5) failures.push({ status, body: body.slice(0, 300) });
        },
      },
    ],
  });
  return { result, tokensExhausted: next >= tokens.length, failures, unexpectedBodies };
}

/** Verifications per second over `durationMs`, keeping `inFlight` of them pending at a time. */
async function rawRate(
  tokens: readonly string[],
  verify: (token: string) => Promise<unknown>,
  inFlight: number,
  durationMs: number,
): Promise<number> {
  let done = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  const worker = async () => {
    while (performance.now() < deadline) {
      await verify(tokens[done % tokens.length] ?? '');
      done++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return done / ((performance.now() - started) / 1000);
}
