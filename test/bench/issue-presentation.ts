// How fast phones can get presentation tokens: identity runs as in production (server.ts, its own
// process or node:cluster workers behind one port), residents with P-256 phones ask for fresh
// tokens with DPoP proofs, `concurrency` at a time, for a while. Beside it, the crypto-bound
// limit measured in the same run: what one issuance cannot do without — verify the phone's
// ES256 DPoP proof and sign an EdDSA presentation token — with bare jose, in flight.
//
// Knobs (environment): BENCH_DURATION_S (10), BENCH_ISSUE_CONCURRENCY (32), BENCH_RESIDENTS (32),
// BENCH_RAW_CONCURRENCY (64), BENCH_WARMUP (300), BENCH_WORKERS (every core when DATABASE_URL is
// set, else 1), BENCH_CPU_PROF_DIR (the service's V8 CPU profile, --cpu-prof).
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { PRESENTATION_TYP } from '@tongban/tokens';
import { EmbeddedJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { type Bench, intFromEnv } from './lib/bench.js';
import { IdentityClient, type Resident } from './lib/identity-client.js';
import { startIdentity } from './lib/identity-service.js';
import { fmt, formatTable, machineInfo, type Row, writeJson } from './lib/report.js';

const NAME = 'issue-presentation';
const PATH = '/v1/presentations';
const RESULTS_FILE = fileURLToPath(new URL(`./results/${NAME}.json`, import.meta.url));
/** Issue 7: issuance at ≥ 50 % of its crypto-bound limit. */
const TARGET_RATIO = 0.5;

export const bench: Bench = {
  name: NAME,
  summary: `POST ${PATH} (DPoP) against raw jose proof-verify + token-sign, in flight`,
  timeoutMs: 6 * 60_000,
  run,
};

async function run(): Promise<void> {
  const config = {
    durationS: intFromEnv('BENCH_DURATION_S', 10),
    concurrency: intFromEnv('BENCH_ISSUE_CONCURRENCY', 32),
    residents: intFromEnv('BENCH_RESIDENTS', 32),
    rawConcurrency: intFromEnv('BENCH_RAW_CONCURRENCY', 64),
    warmup: intFromEnv('BENCH_WARMUP', 300),
    workers: intFromEnv(
      'BENCH_WORKERS',
      process.env.DATABASE_URL?.trim() ? availableParallelism() : 1,
    ),
    cpuProfileDir: process.env.BENCH_CPU_PROF_DIR?.trim() || undefined,
  };
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
    const client = new IdentityClient(service.baseUrl);
    const admin = await client.login('admin', service.adminPassword);
    const clerk = await client.counterClerk(admin);
    const residents: Resident[] = [];
    for (let i = 0; i < config.residents; i++)
      residents.push(await client.residentWithDevice(clerk));
    log(`${residents.length} residents with phones; warming up with ${config.warmup} issuances`);
    await issueFor(client, residents, config.concurrency, Number.POSITIVE_INFINITY, config.warmup);

    const cpuBefore = service.cpuSeconds();
    const selfBefore = process.cpuUsage();
    const load = await issueFor(
      client,
      residents,
      config.concurrency,
      config.durationS * 1000,
      Number.POSITIVE_INFINITY,
    );
    const self = process.cpuUsage(selfBefore);
    const cpuAfter = service.cpuSeconds();
    const wallS = load.ms / 1000;
    const endpointRate = load.latencies.length / wallS;
    const serviceCores =
      cpuBefore === undefined || cpuAfter === undefined
        ? undefined
        : (cpuAfter - cpuBefore) / wallS;
    const clientCores = (self.user + self.system) / 1e6 / wallS;

    // The limit gets the machine to itself, as the service had (but for the phones' signing).
    await service.stop();
    log('identity stopped');

    const resident = residents[0];
    if (!resident) throw new Error('no residents');
    const proof = await resident.device.proof('POST', PATH, resident.accessToken);
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const issueRaw = async () => {
      const { payload } = await jwtVerify(proof, EmbeddedJWK, {
        typ: 'dpop+jwt',
        algorithms: ['ES256'],
      });
      return new SignJWT({ sub: String(payload.jti), cid: 'bench', sl: 1, si: 1 })
        .setProtectedHeader({ alg: 'EdDSA', typ: PRESENTATION_TYP, kid: 'bench' })
        .setIssuedAt()
        .setExpirationTime('60s')
        .setJti(crypto.randomUUID())
        .sign(privateKey);
    };
    log(
      `raw jose: ${config.durationS} s sequential, then ${config.durationS} s with ${config.rawConcurrency} in flight`,
    );
    await rawRate(issueRaw, 1, 1_000);
    const rawSequential = await rawRate(issueRaw, 1, config.durationS * 1000);
    const rawConcurrent = await rawRate(issueRaw, config.rawConcurrency, config.durationS * 1000);

    const sorted = [...load.latencies].sort((a, b) => a - b);
    const pct = (p: number) =>
      sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
    const ratio = endpointRate / rawConcurrent;
    const verdict = ratio >= TARGET_RATIO ? 'PASS' : 'BELOW';
    const loadAfter = Math.round((loadavg()[0] ?? 0) * 100) / 100;
    const rows: Row[] = [
      ['machine', `${machine.cores} cores`, `${machine.cpu}, ${machine.memoryGiB} GiB`],
      ['node', machine.node, `${machine.platform}, UV_THREADPOOL_SIZE ${machine.uvThreadpoolSize}`],
      ['database', service.engine],
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
      [''],
      [
        `POST ${PATH}`,
        `${config.concurrency} in flight`,
        `${wallS.toFixed(1)} s, ${config.residents} phones`,
      ],
      ['  issuances/s', fmt.int(endpointRate), `${fmt.int(load.latencies.length)} × 201`],
      ['  latency p50', fmt.ms(pct(0.5))],
      ['  latency p99', fmt.ms(pct(0.99)), `max ${fmt.ms(sorted.at(-1) ?? 0)}`],
      ['  failures', fmt.int(load.failures), load.failures > 0 ? '!!!' : ''],
      ['  service CPU', serviceCores === undefined ? 'n/a' : `${serviceCores.toFixed(2)} cores`],
      ['  phones CPU', `${clientCores.toFixed(2)} cores`, 'ES256 proofs + fetch, this process'],
      [''],
      ['raw jose verify proof + sign token', 'issuances/s', 'ES256 verify, EdDSA sign'],
      ['  sequential', fmt.int(rawSequential)],
      [`  ${config.rawConcurrency} in flight`, fmt.int(rawConcurrent), 'the crypto-bound limit'],
      [''],
      [
        `endpoint / raw ${config.rawConcurrency} in flight`,
        fmt.pct(ratio),
        `target ≥ 50 %: ${verdict}`,
      ],
    ];
    process.stdout.write(
      `\n${formatTable(`${NAME} (${service.engine}, ${machine.cores} cores, Node ${machine.node})`, rows)}`,
    );
    await writeJson(RESULTS_FILE, {
      bench: NAME,
      at: new Date().toISOString(),
      ok: load.failures === 0,
      machine,
      loadAverage1mAfter: loadAfter,
      config,
      database: service.engine,
      workers: service.workers,
      endpoint: {
        path: PATH,
        perSecond: Math.round(endpointRate),
        issued: load.latencies.length,
        failures: load.failures,
        latencyMs: { p50: pct(0.5), p99: pct(0.99), max: sorted.at(-1) ?? 0 },
        serviceCpuCores: serviceCores,
        clientCpuCores: clientCores,
      },
      rawJose: {
        sequentialPerSecond: Math.round(rawSequential),
        concurrentPerSecond: Math.round(rawConcurrent),
        concurrency: config.rawConcurrency,
      },
      ratio,
      target: TARGET_RATIO,
      verdict,
    });
    log(`results written to ${RESULTS_FILE}`);
    if (load.failures > 0) throw new Error(`${load.failures} issuances failed: ${load.firstError}`);
  } finally {
    await service.stop();
  }
}

/** Issues tokens round-robin over the residents, `concurrency` at a time, until time or count. */
async function issueFor(
  client: IdentityClient,
  residents: readonly Resident[],
  concurrency: number,
  durationMs: number,
  count: number,
) {
  const latencies: number[] = [];
  let failures = 0;
  let firstError = '';
  let next = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  const worker = async () => {
    while (performance.now() < deadline && next < count) {
      const resident = residents[next++ % residents.length];
      if (!resident) return;
      const t0 = performance.now();
      try {
        await client.presentation(resident);
        latencies.push(performance.now() - t0);
      } catch (err) {
        failures++;
        firstError ||= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { latencies, failures, firstError, ms: performance.now() - started };
}

async function rawRate(op: () => Promise<unknown>, inFlight: number, durationMs: number) {
  let done = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  const worker = async () => {
    while (performance.now() < deadline) {
      await op();
      done++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return done / ((performance.now() - started) / 1000);
}
