import { type ChildProcess, spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareEmbeddedDataDir } from '@tongban/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundlesOf, ensureBuild } from '../../scripts/build.mjs';
import { freePort } from '../helpers/system.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * A copy of what the build reads, so that a source can change without touching the repository
 * (whose bundles other test files are running): the workspaces' sources and manifests, with their
 * node_modules links kept as they are, and the installed packages linked from the repository.
 */
async function copyOfBuildInputs(): Promise<string> {
  const copy = await mkdtemp(join(tmpdir(), 'tb-build-'));
  const skip = new Set(['build', 'dist', 'test', 'web', 'catalogue', 'calendars']);
  for (const file of ['package.json', 'pnpm-lock.yaml', 'tsconfig.json', 'tsconfig.base.json']) {
    await cp(join(root, file), join(copy, file));
  }
  await mkdir(join(copy, 'scripts'));
  for (const file of ['build.mjs', 'start.ts', 'portal-web.ts', 'seed']) {
    await cp(join(root, 'scripts', file), join(copy, 'scripts', file), { recursive: true });
  }
  for (const group of ['packages', 'services']) {
    await cp(join(root, group), join(copy, group), {
      recursive: true,
      verbatimSymlinks: true,
      filter: (source) => !skip.has(basename(source)),
    });
  }
  await symlink(join(root, 'node_modules'), join(copy, 'node_modules'));
  return copy;
}

describe('scripts/build.mjs', () => {
  let copy: string;

  beforeAll(async () => {
    copy = await copyOfBuildInputs();
  });
  afterAll(async () => {
    await rm(copy, { recursive: true, force: true });
  });

  it('rebuilds after a source changes, and builds nothing while nothing has', async () => {
    // The bundles the test run's global setup built from these same inputs, stamp included: a
    // copy whose inputs are unchanged is fresh without building anything.
    for (const [from, to] of bundlesOf(root).map((b, i) => [b, bundlesOf(copy)[i]] as const)) {
      if (!to) throw new Error('bundles differ');
      await cp(dirname(from.outFile), dirname(to.outFile), { recursive: true });
    }
    const [portal] = bundlesOf(copy).filter((b) => b.outFile.includes('portal'));
    if (!portal) throw new Error('no portal bundle');
    const builtAt = (await stat(portal.outFile)).mtimeMs;

    expect(await ensureBuild({ root: copy })).toBe('fresh');
    expect((await stat(portal.outFile)).mtimeMs).toBe(builtAt);

    const marker = `changed-${process.pid}-${Date.now()}`;
    const source = join(copy, 'services', 'portal', 'src', 'server.ts');
    await writeFile(
      source,
      `${await readFile(source, 'utf8')}\nexport const changed = '${marker}';\n`,
    );
    expect(await ensureBuild({ root: copy })).toBe('built');
    expect(await readFile(portal.outFile, 'utf8')).toContain(marker);
    expect(await ensureBuild({ root: copy })).toBe('fresh');
  }, 120_000);
});

describe('a service bundle', () => {
  let child: ChildProcess | undefined;
  let dataDir: string;
  let cwd: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tb-bundle-data-'));
    cwd = await mkdtemp(join(tmpdir(), 'tb-bundle-cwd-'));
    await prepareEmbeddedDataDir(join(dataDir, 'workflow'));
  });
  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dataDir, { recursive: true, force: true });
    await rm(cwd, { recursive: true, force: true });
  });

  // Workflow reads all three resources a bundle must find beside the repository's packages: its
  // migrations (@tongban/db), its service catalogue (../catalogue) and the holiday calendars
  // (@tongban/working-days). Any one missing stops it before it listens.
  it('starts from a working directory other than its own folder', async () => {
    const port = await freePort();
    const bundle = join(root, 'services', 'workflow', 'build', 'server.js');
    const started = spawn(process.execPath, [bundle], {
      cwd,
      env: { ...process.env, PORT: String(port), LOG_LEVEL: 'warn', TONGBAN_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = started;
    let output = '';
    started.stdout?.on('data', (c) => {
      output += c;
    });
    started.stderr?.on('data', (c) => {
      output += c;
    });
    const deadline = Date.now() + 90_000;
    let ready = false;
    while (!ready && started.exitCode === null && Date.now() < deadline) {
      ready = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2000) })
        .then((res) => res.ok)
        .catch(() => false);
      if (!ready) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(ready, output).toBe(true);
  }, 120_000);
});
