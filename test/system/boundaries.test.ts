import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const biome = join(root, 'node_modules', '.bin', 'biome');
const boundaries = join(root, 'scripts', 'check-boundaries.mjs');

interface Outcome {
  readonly ok: boolean;
  readonly output: string;
}

async function outcome(file: string, args: string[]): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(file, args, { cwd: root });
    return { ok: true, output: stdout + stderr };
  } catch (err) {
    const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
    return { ok: false, output: stdout + stderr };
  }
}

/** The two steps of `pnpm lint` (scripts/tongban.mjs), on the given paths only. */
async function lint(paths: string[]) {
  return {
    boundaries: await outcome(process.execPath, [boundaries, ...paths]),
    biome: await outcome(biome, ['lint', '--error-on-warnings', ...paths]),
  };
}

// Probe files live in the real tree (the rules are chosen by path) and are always removed.
const probes = new Set<string>();
afterEach(async () => {
  for (const probe of probes) await rm(probe, { force: true });
  probes.clear();
});

async function probe(folder: string, source: string): Promise<string> {
  const path = join(root, folder, `boundary-probe-${randomBytes(4).toString('hex')}.ts`);
  probes.add(path);
  await writeFile(path, source);
  return path;
}

// Each test runs the linters as child processes; the bound is generous because the suite shares
// two cores with everything else, not because lint is expected to be slow.
describe('pnpm lint: import boundaries', { timeout: 120_000 }, () => {
  it('fails when a package imports a service by name', async () => {
    const file = await probe(
      'packages/auth/src',
      "import { buildApp } from '@tongban/records';\nexport const probe = buildApp;\n",
    );
    const { biome } = await lint([file]);
    expect(biome.ok).toBe(false);
    expect(biome.output).toContain('lint/style/noRestrictedImports');
    expect(biome.output).toContain('A package never imports a service');
  });

  it('fails when a package reaches into a service by a relative path', async () => {
    const file = await probe(
      'packages/auth/src',
      "export { buildApp } from '../../../services/identity/src/app.js';\n",
    );
    const { boundaries } = await lint([file]);
    expect(boundaries.ok).toBe(false);
    expect(boundaries.output).toContain('boundaries/no-service-import-in-package');
  });

  it('fails when a service imports another service by name', async () => {
    const file = await probe(
      'services/workflow/src',
      "import { buildApp } from '@tongban/records';\nexport const probe = buildApp;\n",
    );
    const { biome } = await lint([file]);
    expect(biome.ok).toBe(false);
    expect(biome.output).toContain('lint/style/noRestrictedImports');
    expect(biome.output).toContain('Services never import each other');
  });

  it('fails when a service reaches into another service by a relative path', async () => {
    const file = await probe(
      'services/workflow/src/domain',
      "export const load = () => import('../../../records/src/db/schema.js');\n",
    );
    const { boundaries } = await lint([file]);
    expect(boundaries.ok).toBe(false);
    expect(boundaries.output).toContain('boundaries/no-cross-service-import');
  });

  it('fails when a route file builds queries with drizzle-orm', async () => {
    const file = await probe(
      'services/records/src/routes',
      "import { eq } from 'drizzle-orm';\nexport const probe = eq;\n",
    );
    const { biome } = await lint([file]);
    expect(biome.ok).toBe(false);
    expect(biome.output).toContain('lint/style/noRestrictedImports');
    expect(biome.output).toContain('No query building in routes');
  });

  it('lets query functions and domain code use drizzle-orm', async () => {
    const files = [
      await probe('services/records/src/db/queries', "export { eq } from 'drizzle-orm';\n"),
      await probe('services/records/src/domain', "export { sql } from 'drizzle-orm';\n"),
    ];
    const result = await lint(files);
    expect(result.biome).toMatchObject({ ok: true });
    expect(result.boundaries).toMatchObject({ ok: true });
  });

  it('passes on the tree as committed', async () => {
    const relative = await outcome(process.execPath, [boundaries]);
    expect(relative.output).toContain('Import boundaries hold');
    expect(relative.ok).toBe(true);
    const tree = await outcome(biome, ['lint', '--error-on-warnings', '.']);
    expect(tree.output).not.toContain('noRestrictedImports');
    expect(tree.ok).toBe(true);
  });
});
