import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The portal's front end: web/ is the source, dist/ what the portal serves (see ADR 0017).
export default defineConfig({
  root: fileURLToPath(new URL('./web', import.meta.url)),
  base: '/',
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // The polyfill would be dead weight: every browser the city supports has modulepreload.
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: true,
  },
});
