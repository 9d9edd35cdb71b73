import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A stand-in for a Vite build: a shell and one hashed asset, in a folder of the test's own. */
export async function fakeWebRoot(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'tb-portal-web-'));
  await mkdir(join(dir, 'assets'));
  await writeFile(
    join(dir, 'index.html'),
    '<!doctype html><html lang="zh-CN"><head><title>通办 Tongban</title><script type="module" src="/assets/index-abc123.js"></script></head><body><div id="app"></div></body></html>',
  );
  await writeFile(join(dir, 'assets', 'index-abc123.js'), 'export {};\n');
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
