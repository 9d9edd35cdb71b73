// Writes each service's OpenAPI document to packages/clients/openapi/<service>.json and the
// TypeScript types generated from it to packages/clients/src/generated/<service>.ts.
// With --check it writes them to a temporary folder instead and fails, naming the files, when the
// committed ones differ: the documents and the clients must follow the route schemas.
//
// Each service is built in this process by its test helper (buildApp on a throwaway database,
// the same configuration its tests use) and asked for its document: no port, no network.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { typesFromDocument } from '@tongban/clients/codegen';
import { startTestApp as startIdentity } from '../services/identity/test/helpers/app.js';
import { startTestApp as startRecords } from '../services/records/test/helpers/app.js';
import { startTestApp as startWorkflow } from '../services/workflow/test/helpers/app.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const clientsDir = join(root, 'packages', 'clients');

interface StartedService {
  readonly app: {
    ready(): PromiseLike<unknown>;
    swagger(): unknown;
    inject(request: { method: 'GET'; url: string }): PromiseLike<{
      statusCode: number;
      json(): unknown;
    }>;
  };
  close(): Promise<void>;
}

// A master key of our own choosing, so the check below can prove it never reaches a document.
const masterKey = randomBytes(32).toString('base64url');

const SERVICES: Record<string, () => Promise<StartedService>> = {
  identity: () => startIdentity({ IDENTITY_MASTER_KEY: masterKey }),
  records: () => startRecords({ RECORDS_MASTER_KEY: masterKey }),
  workflow: () => startWorkflow({ WORKFLOW_MASTER_KEY: masterKey }),
};

const check = process.argv.includes('--check');

/** Object keys in code-point order at every depth, so a document's text depends only on its content. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
  );
}

/** The document must say nothing about this machine or this run. */
async function assertNothingLeaks(name: string, text: string, service: StartedService) {
  const secrets = [`${root.replace(/\/+$/, '')}/`, `${tmpdir()}/`, masterKey];
  const address = /(?:127\.0\.0\.1|localhost|\[::1\]):\d+/.exec(text);
  if (address) secrets.push(address[0]);
  const jwks = await service.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
  if (jwks.statusCode === 200) {
    for (const key of (jwks.json() as { keys: { kid?: string }[] }).keys) {
      if (key.kid) secrets.push(key.kid);
    }
  }
  const found = secrets.filter((secret) => secret.length > 0 && text.includes(secret));
  if (found.length > 0) {
    throw new Error(`${name}: the OpenAPI document contains ${found.join(', ')}`);
  }
}

async function documentOf(name: string, start: () => Promise<StartedService>): Promise<string> {
  const service = await start();
  try {
    await service.app.ready();
    const text = `${JSON.stringify(sortKeys(service.app.swagger()), null, 2)}\n`;
    await assertNothingLeaks(name, text, service);
    return text;
  } finally {
    await service.close();
  }
}

async function generate(outDir: string): Promise<string[]> {
  const written: string[] = [];
  for (const [name, start] of Object.entries(SERVICES)) {
    const text = await documentOf(name, start);
    const documentFile = join('openapi', `${name}.json`);
    const typesFile = join('src', 'generated', `${name}.ts`);
    const types = await typesFromDocument(
      JSON.parse(text) as object,
      `packages/clients/${documentFile}`,
    );
    for (const [file, content] of [
      [documentFile, text],
      [typesFile, types],
    ] as const) {
      await mkdir(join(outDir, file, '..'), { recursive: true });
      await writeFile(join(outDir, file), content);
      written.push(file);
    }
  }
  return written;
}

if (check) {
  const scratch = await mkdtemp(join(tmpdir(), 'tongban-clients-'));
  try {
    const files = await generate(scratch);
    const stale: string[] = [];
    for (const file of files) {
      const fresh = await readFile(join(scratch, file), 'utf8');
      const committed = await readFile(join(clientsDir, file), 'utf8').catch(() => undefined);
      if (committed !== fresh) stale.push(relative(root, join(clientsDir, file)));
    }
    if (stale.length > 0) {
      process.stderr.write(
        `These generated files do not match the route schemas:\n  ${stale.join('\n  ')}\n` +
          'Run `pnpm clients:generate` and commit the result.\n',
      );
      process.exitCode = 1;
    } else {
      process.stdout.write(
        `OpenAPI documents and clients are up to date (${files.length} files).\n`,
      );
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
} else {
  const files = await generate(clientsDir);
  process.stdout.write(
    `Wrote ${files.map((f) => relative(root, join(clientsDir, f))).join(', ')}\n`,
  );
}
