import { type ChildProcess, spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareEmbeddedDataDir } from '@tongban/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundlesOf, ensureBuild, staleBundles } from '../../scripts/build.mjs';
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

  it('rebuilds the bundles a changed source is part of, and builds nothing while nothing has changed', async () => {
    // The bundles the test run's global setup built from these same inputs, stamp included: a
    // copy whose inputs are unchanged is fresh without building anything.
    for (const [from, to] of bundlesOf(root).map((b, i) => [b, bundlesOf(copy)[i]] as const)) {
      if (!to) throw new Error('bundles differ');
      await cp(dirname(from.outFile), dirname(to.outFile), { recursive: true });
    }
    const builtAt = async () =>
      new Map(
        await Promise.all(
          bundlesOf(copy).map(async (b) => [b.outFile, (await stat(b.outFile)).mtimeMs] as const),
        ),
      );
    const before = await builtAt();
    const [portal] = bundlesOf(copy).filter((b) => b.outFile.includes('portal'));
    if (!portal) throw new Error('no portal bundle');

    expect(await ensureBuild({ root: copy })).toBe('fresh');
    expect(await builtAt()).toEqual(before);
    // A file no bundle imports (the lint tests put such probes into packages' sources for a
    // moment) changes nothing either.
    await writeFile(join(copy, 'packages', 'auth', 'src', 'unimported-probe.ts'), 'export {};\n');
    expect(staleBundles(copy)).toEqual([]);

    const marker = `changed-${process.pid}-${Date.now()}`;
    const source = join(copy, 'services', 'portal', 'src', 'server.ts');
    await writeFile(
      source,
      `${await readFile(source, 'utf8')}\nexport const changed = '${marker}';\n`,
    );
    const lines: string[] = [];
    expect(await ensureBuild({ root: copy, out: { write: (text) => lines.push(text) } })).toBe(
      'built',
    );
    expect(lines.join('')).toContain('services/portal/build/server.js');
    expect(await readFile(portal.outFile, 'utf8')).toContain(marker);
    // Only the portal's bundle was built again: the others were not written.
    const after = await builtAt();
    for (const [file, mtime] of before) {
      if (file === portal.outFile) expect(after.get(file)).not.toBe(mtime);
      else expect(after.get(file), file).toBe(mtime);
    }
    expect(await ensureBuild({ root: copy })).toBe('fresh');

    // A source of the service kit: the four services and records' audit command (built from
    // records' code) are stale; the launcher, the phone and the offline verifier do not use it.
    const kit = join(copy, 'packages', 'service-kit', 'src', 'index.ts');
    await writeFile(kit, `${await readFile(kit, 'utf8')}\nexport const kitChanged = 1;\n`);
    const stale = staleBundles(copy).map((b) => relative(copy, b.outFile).split(sep).join('/'));
    expect(stale.sort()).toEqual(
      [
        'build/access-log-audit.js',
        'services/identity/build/server.js',
        'services/portal/build/server.js',
        'services/records/build/server.js',
        'services/workflow/build/server.js',
      ].sort(),
    );
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
