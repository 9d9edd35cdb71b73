import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// One project per workspace that has tests, so `pnpm test` runs everything and a failure names
// its workspace. Browser tests (*.e2e.ts) run under `pnpm test:e2e` with vitest.e2e.config.ts.
const workspaces = ['packages', 'services']
  .flatMap((group) => readdirSync(group).map((name) => join(group, name)))
  .filter((dir) => existsSync(join(dir, 'test')));

export default defineConfig({
  test: {
    projects: [
      ...workspaces.map((dir) => ({
        extends: true as const,
        test: { name: dir.split('/')[1] ?? dir, root: dir, include: ['test/**/*.test.ts'] },
      })),
      {
        extends: true as const,
        test: { name: 'system', root: 'test', include: ['system/**/*.test.ts'] },
      },
    ],
    // The embedded-database template is built here, once, not inside the first file's hook.
    globalSetup: [fileURLToPath(new URL('./vitest.global-setup.ts', import.meta.url))],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: two workers, each with its own embedded database per file.
    maxWorkers: 2,
    sequence: { shuffle: { files: true, tests: false } },
  },
});
