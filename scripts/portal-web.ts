// Builds the portal's front end (services/portal/web → services/portal/dist) when dist is
// missing or older than anything it is built from. `npm start` calls it before the services
// start, and so does the test setup, so a clean clone serves real pages without a separate step.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const portal = join(root, 'services', 'portal');
const dist = join(portal, 'dist');
/** What the build reads: the pages, their build config, and the typed clients they import. */
const SOURCES = [
  join(portal, 'web'),
  join(portal, 'vite.config.ts'),
  join(portal, 'package.json'),
  join(root, 'packages', 'clients', 'src'),
];

async function newestMtime(path: string): Promise<number> {
  const info = await stat(path).catch(() => undefined);
  if (!info) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const entry of await readdir(path)) {
    newest = Math.max(newest, await newestMtime(join(path, entry)));
  }
  return newest;
}

/** Whether dist/ is missing or older than a source file. */
export async function portalWebStale(): Promise<boolean> {
  const built = await stat(join(dist, 'index.html')).catch(() => undefined);
  if (!built) return true;
  const sources = await Promise.all(SOURCES.map(newestMtime));
  return Math.max(...sources) > built.mtimeMs;
}

function run(args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c) => {
      output += c;
    });
    child.stderr.on('data', (c) => {
      output += c;
    });
    child.once('error', fail);
    child.once('exit', (code) => done({ code, output }));
  });
}

/**
 * Builds into a folder of its own, then moves it into place: a portal already running keeps
 * serving whole files, and two starts building at once (parallel test files) cannot interleave
 * their output. The build is deterministic, so whichever lands last serves the same files.
 */
export async function ensurePortalWeb(log: (line: string) => void): Promise<'fresh' | 'built'> {
  if (!(await portalWebStale())) return 'fresh';
  log('Building the portal front end (services/portal/web) …');
  const viteBin = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  if (!existsSync(viteBin)) throw new Error(`vite is not installed (${viteBin}); run pnpm install`);
  const staging = `${dist}.build-${process.pid}-${Date.now()}`;
  const { code, output } = await run(
    [viteBin, 'build', '--outDir', staging, '--emptyOutDir'],
    portal,
  );
  if (code !== 0) {
    await rm(staging, { recursive: true, force: true });
    throw new Error(`building the portal front end failed (exit ${code}):\n${output}`);
  }
  const old = `${dist}.old-${process.pid}-${Date.now()}`;
  await rename(dist, old).catch(() => {});
  try {
    await rename(staging, dist);
  } catch (err) {
    // Another start put its build there first: the same sources, so the same files.
    if (!existsSync(join(dist, 'index.html'))) throw err;
    await rm(staging, { recursive: true, force: true });
  }
  await rm(old, { recursive: true, force: true });
  return 'built';
}
