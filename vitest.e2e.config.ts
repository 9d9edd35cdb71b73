import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Browser tests: the real system started by the launcher, driven in headless Chromium.
export default defineConfig({
  test: {
    name: 'e2e',
    root: 'test',
    include: ['e2e/**/*.e2e.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    maxWorkers: 1,
    globalSetup: [fileURLToPath(new URL('./vitest.e2e.global-setup.ts', import.meta.url))],
  },
});
