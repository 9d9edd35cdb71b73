// Starts the whole system on one machine: identity, workflow, records and portal, each its own
// process (as in production). Unless DATABASE_URL is set, this process runs one embedded
// PostgreSQL for all four, served on a loopback port, and each service connects to it with its
// own role through the same pg pool it uses against a server (ADR 0018). Prints the URLs once
// every service answers /readyz, and stops them all cleanly on Ctrl-C or SIGTERM.
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { dataRootFromEnv, type EmbeddedPostgres, startEmbeddedPostgres } from '@tongban/db';
import { ensurePortalWeb } from './portal-web.js';
import { demoCityFingerprint, seedDemoCity } from './seed/seed.js';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));

// The embedded engine is WebAssembly. V8 compiles it quickly (Liftoff), then again, optimised,
// on background threads: on a 2-core machine that second compile takes about a second of CPU from
// the services starting beside it, for queries no faster in this workload (ADR 0018). Set before
// the engine is loaded; a V8 without the flag ignores it.
setFlagsFromString('--liftoff-only');
const env = process.env;
const host = env.HOST ?? '127.0.0.1';

interface ServiceSpec {
  readonly name: 'identity' | 'workflow' | 'records' | 'portal';
  readonly port: number;
  /** The variable that sets the port, named when the port is taken. */
  readonly portVariable: string;
}

const port = (name: string, fallback: number): number => {
  const raw = env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65_535) {
    process.stderr.write(`${name} must be a port number (got ${raw})\n`);
    process.exit(1);
  }
  return value;
};

const spec = (name: ServiceSpec['name'], portVariable: string, fallback: number): ServiceSpec => ({
  name,
  portVariable,
  port: port(portVariable, fallback),
});
const services: ServiceSpec[] = [
  spec('identity', 'IDENTITY_PORT', 3001),
  spec('workflow', 'WORKFLOW_PORT', 3002),
  spec('records', 'RECORDS_PORT', 3003),
  spec('portal', 'PORTAL_PORT', 3000),
];
for (const [i, s] of services.entries()) {
  const other = services.find((o, j) => j < i && o.port === s.port);
  if (other) {
    process.stderr.write(
      `${other.portVariable} and ${s.portVariable} are both ${s.port}; give each service its own port.\n`,
    );
    process.exit(1);
  }
}
const urlOf = (s: ServiceSpec) => `http://${host.includes(':') ? `[${host}]` : host}:${s.port}`;
const byName = Object.fromEntries(services.map((s) => [s.name, urlOf(s)]));
const dataDir = dataRootFromEnv(env, root);

/** Resolves with the error code when something else holds the port, or undefined when it is free. */
function portTaken(spec: ServiceSpec): Promise<string | undefined> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    probe.listen({ host, port: spec.port, exclusive: true }, () =>
      probe.close(() => resolve(undefined)),
    );
  });
}

// Checked before anything is spawned: a service that lost the race for its port would otherwise
// exit while /readyz is answered by whatever holds the port, and the launcher would report that
// other process as Tongban running.
const taken = (
  await Promise.all(services.map(async (s) => ({ s, code: await portTaken(s) })))
).filter((t) => t.code !== undefined);
if (taken.length > 0) {
  for (const { s, code } of taken) {
    const why = code === 'EADDRINUSE' ? 'is already in use' : `cannot be used (${code})`;
    process.stderr.write(
      `Cannot start ${s.name}: port ${s.port} on ${host} ${why}. Stop what is using it, or choose another port with ${s.portVariable}=<port>.\n`,
    );
  }
  process.stderr.write('Tongban did not start; nothing was started.\n');
  process.exit(1);
}

// The portal serves the built front end; a clean clone or a changed page is built here, once.
try {
  await ensurePortalWeb((line) => process.stdout.write(`${line}\n`));
} catch (err) {
  process.stderr.write(`${(err as Error).message}\nTongban did not start; nothing was started.\n`);
  process.exit(1);
}

const demo = env.NODE_ENV !== 'production';
const secretsDir = join(dataDir, 'secrets');

/** A demo secret of `bytes` random bytes, made on first start and kept (0600) beside the demo data. */
async function demoSecret(name: string, bytes = 18): Promise<string> {
  const file = join(secretsDir, name);
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    await mkdir(secretsDir, { recursive: true, mode: 0o700 });
    await writeFile(file, randomBytes(bytes).toString('base64url'), {
      mode: 0o600,
      flag: 'wx',
    }).catch(() => {});
    return (await readFile(file, 'utf8')).trim();
  }
}

// Secrets have no defaults: the demo generates its own on first start and says where they are.
const adminPassword =
  env.BOOTSTRAP_ADMIN_PASSWORD ?? (demo ? await demoSecret('admin-password') : undefined);
const staffPassword = demo ? await demoSecret('demo-staff-password') : undefined;
// Workflow's client at identity (32 bytes: identity wants 32+ characters); production sets its own.
const workflowClientSecret =
  env.WORKFLOW_CLIENT_SECRET ?? (demo ? await demoSecret('workflow-client-secret', 32) : undefined);

const portalPort = services.find((s) => s.name === 'portal')?.port;
const demoPasskeyOrigin =
  demo && !env.WEBAUTHN_RP_ID && !env.WEBAUTHN_ORIGINS
    ? `http://localhost:${portalPort}`
    : undefined;

const children = new Map<string, ChildProcess>();
let stopping = false;

const engine = env.DATABASE_URL
  ? 'PostgreSQL at DATABASE_URL'
  : `embedded PostgreSQL in ${join(dataDir, 'postgres')}`;
process.stdout.write(`Starting Tongban on ${engine} …\n`);
let embedded: EmbeddedPostgres | undefined;
const oldLayout = services
  .map((s) => join(dataDir, s.name))
  .filter((folder) => existsSync(join(folder, 'PG_VERSION')));
if (!env.DATABASE_URL && oldLayout.length > 0) {
  process.stdout.write(
    `Note: ${oldLayout.join(', ')} hold embedded data from before the services shared one database; it is no longer read, and the demo city is seeded afresh. Delete those folders to free the space.\n`,
  );
}
if (!env.DATABASE_URL) {
  try {
    embedded = await startEmbeddedPostgres({
      dataDir: join(dataDir, 'postgres'),
      services: services.map((s) => s.name),
      host: '127.0.0.1',
      emptyClusterCache: join(root, 'node_modules', '.cache', 'tongban'),
    });
  } catch (err) {
    process.stderr.write(
      `${(err as Error).message}\nTongban did not start; nothing was started.\n`,
    );
    process.exit(1);
  }
}
/** A service's own connection: its role on the embedded database, or what the operator set. */
const databaseEnv = (name: ServiceSpec['name']): Record<string, string> => {
  const variable = `${name.toUpperCase()}_DATABASE_URL`;
  if (embedded === undefined || env[variable]) return {};
  return { [variable]: embedded.url(name) };
};

/** A service's built bundle (scripts/build.mjs), run from the service's own folder. */
function spawnService(name: ServiceSpec['name'], options: SpawnOptions): ChildProcess {
  return spawn(process.execPath, ['build/server.js'], {
    ...options,
    cwd: resolve(root, 'services', name),
  });
}

function startService(spec: ServiceSpec): ChildProcess {
  const child = spawnService(spec.name, {
    env: {
      ...env,
      PORT: String(spec.port),
      HOST: host,
      LOG_LEVEL: env.LOG_LEVEL ?? 'warn',
      TONGBAN_DATA_DIR: dataDir,
      ...databaseEnv(spec.name),
      IDENTITY_URL: env.IDENTITY_URL ?? byName.identity,
      WORKFLOW_URL: env.WORKFLOW_URL ?? byName.workflow,
      RECORDS_URL: env.RECORDS_URL ?? byName.records,
      ...(spec.name === 'identity' && adminPassword
        ? { BOOTSTRAP_ADMIN_PASSWORD: adminPassword }
        : {}),
      ...((spec.name === 'identity' || spec.name === 'workflow') && workflowClientSecret
        ? { WORKFLOW_CLIENT_SECRET: workflowClientSecret }
        : {}),
      ...(spec.name === 'identity' && !env.IDENTITY_PUBLIC_URLS
        ? { IDENTITY_PUBLIC_URLS: `${byName.identity},${byName.portal}/api/identity` }
        : {}),
      // Staff passkeys are bound to the page's origin; WebAuthn takes no IP address as the
      // relying party, so the demo portal's passkey origin is localhost on the portal's port.
      ...(spec.name === 'identity' && demoPasskeyOrigin
        ? { WEBAUTHN_RP_ID: 'localhost', WEBAUTHN_ORIGINS: demoPasskeyOrigin }
        : {}),
      ...(spec.name === 'workflow' && !env.WORKFLOW_PUBLIC_URLS
        ? { WORKFLOW_PUBLIC_URLS: `${byName.workflow},${byName.portal}/api/workflow` }
        : {}),
      ...(spec.name === 'workflow' && !env.WORKFLOW_TRACKING_BASE_URL
        ? { WORKFLOW_TRACKING_BASE_URL: `${byName.portal}/track/` }
        : {}),
      ...(spec.name === 'records' && !env.RECORDS_PUBLIC_URLS
        ? { RECORDS_PUBLIC_URLS: `${byName.records},${byName.portal}/api/records` }
        : {}),
      // Records verifies workflow's case grants against workflow's keys, wherever it listens.
      ...(spec.name === 'records' && !env.WORKFLOW_JWKS_URL
        ? { WORKFLOW_JWKS_URL: `${byName.workflow}/.well-known/jwks.json` }
        : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: Ctrl-C reaches the launcher alone, which then sends one SIGTERM.
    detached: true,
  });
  const tag = `[${spec.name}]`.padEnd(11);
  for (const stream of [child.stdout, child.stderr]) {
    if (stream)
      createInterface({ input: stream }).on('line', (line) =>
        process.stdout.write(`${tag}${line}\n`),
      );
  }
  child.on('exit', (code, signal) => {
    children.delete(spec.name);
    if (!stopping) {
      process.stderr.write(
        `${spec.name} exited unexpectedly (${signal ?? `code ${code}`}); stopping.\n`,
      );
      void stopAll(1);
    } else if (children.size === 0) {
      // The engine closes last, once no service can still be writing to it.
      void closeEmbedded().finally(() => process.exit(process.exitCode ?? 0));
    }
  });
  children.set(spec.name, child);
  return child;
}

async function waitReady(spec: ServiceSpec, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    if (stopping) return;
    try {
      const res = await fetch(`${urlOf(spec)}/readyz`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  throw new Error(`${spec.name} did not become ready at ${urlOf(spec)}/readyz`);
}

async function closeEmbedded(): Promise<void> {
  await embedded?.close().catch((err: unknown) => {
    process.stderr.write(`closing the embedded database: ${(err as Error).message}\n`);
  });
}

async function stopAll(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  process.exitCode = code;
  if (children.size === 0) {
    await closeEmbedded();
    process.exit(code);
  }
  for (const child of children.values()) child.kill('SIGTERM');
  // A service that ignores SIGTERM past its grace period is not allowed to hold the terminal.
  await sleep(15_000);
  for (const child of children.values()) child.kill('SIGKILL');
  process.exit(1);
}

process.on('exit', () => {
  for (const child of children.values()) child.kill('SIGKILL');
});
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

for (const spec of services) startService(spec);
// The services were started while the engine may still be opening; if it cannot open, say why.
embedded?.ready.catch((err: unknown) => {
  process.stderr.write(`The embedded database could not be opened: ${(err as Error).message}\n`);
  void stopAll(1);
});

try {
  const deadline = Date.now() + 180_000;
  await Promise.all(services.map((s) => waitReady(s, deadline)));
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  await stopAll(1);
}

/**
 * Where the embedded database notes that the demo city is in it: inside the cluster's own folder,
 * so a new or replaced database (or one at DATABASE_URL, which always gets the full seed) never
 * inherits the note. The seed is idempotent either way; the note only spares a warm start the
 * some forty requests (and fifteen deliberately slow password checks) that would add nothing.
 */
const seededNote = embedded ? join(embedded.dataDir, 'tongban-demo-city.sha256') : undefined;

async function alreadySeeded(): Promise<boolean> {
  if (seededNote === undefined) return false;
  const noted = await readFile(seededNote, 'utf8').catch(() => '');
  return noted.trim() === demoCityFingerprint();
}

async function seed(): Promise<string[]> {
  if (!demo || env.TONGBAN_SEED === 'false' || !adminPassword || !staffPassword) return [];
  const signIn = `  sign in as admin / ${adminPassword}, or <department>.clerk|officer|admin (e.g. public-security.clerk) / ${staffPassword}`;
  if (await alreadySeeded()) {
    return [
      'Demo city: already seeded in this database (its data unchanged since); nothing to add.',
      signIn,
      `  demo secrets are in ${secretsDir}; client secrets and activation codes in ${join(dataDir, 'demo', 'credentials.txt')}`,
    ];
  }
  try {
    const report = await seedDemoCity({
      identityUrl: byName.identity ?? '',
      recordsUrl: byName.records ?? '',
      workflowUrl: byName.workflow ?? '',
      adminPassword,
      staffPassword,
    });
    const file = join(dataDir, 'demo', 'credentials.txt');
    if (report.clientSecrets.length > 0 || report.activationCodes.length > 0) {
      await mkdir(join(dataDir, 'demo'), { recursive: true, mode: 0o700 });
      const lines = [
        `# written ${new Date().toISOString()}`,
        ...report.clientSecrets.map((c) => `client ${c.clientId} secret ${c.clientSecret}`),
        ...report.activationCodes.map(
          (a) =>
            `resident ${a.fullName} subject ${a.subjectId} activation code ${a.code} (until ${a.expiresAt})`,
        ),
        '',
      ];
      await appendFile(file, lines.join('\n'), { mode: 0o600 });
    }
    if (seededNote !== undefined) await writeFile(seededNote, `${demoCityFingerprint()}\n`);
    const c = report.created;
    return [
      `Demo city seeded (new this start: ${c.departments} departments, ${c.staff} staff, ${c.clients} clients, ${c.residents} residents, ${c.recordTypes} record types, ${c.policies} access policies, ${c.records} records, ${c.cases} cases).`,
      signIn,
      `  demo secrets (generated on first start) are in ${secretsDir}; client secrets and activation codes in ${file}`,
    ];
  } catch (err) {
    return [`Demo seed skipped: ${(err as Error).message}`];
  }
}

if (!stopping) {
  const seeded = await seed();
  const lines = [
    ...seeded,
    '',
    'Tongban is running:',
    `  portal    ${byName.portal}/`,
    ...(demoPasskeyOrigin
      ? [
          `            staff passkeys work at ${demoPasskeyOrigin}/staff (a passkey needs a host name)`,
        ]
      : []),
    `  identity  ${byName.identity}   API docs ${byName.identity}/docs`,
    `  workflow  ${byName.workflow}   API docs ${byName.workflow}/docs`,
    `  records   ${byName.records}   API docs ${byName.records}/docs`,
    '',
    'Press Ctrl-C to stop.',
    '',
  ];
  process.stdout.write(lines.join('\n'));
}
