// `npm run bench [-- name …]`: runs every bench in this folder (or the named ones; a bench marked
// onlyWhenNamed runs only when named) one after
// another, so no two compete for the machine. Benchmarks are not tests: a slow result prints
// BELOW and still exits 0; only a bench that broke (or overran its time) exits 1.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Bench, runCleanups } from './lib/bench.js';

const folder = fileURLToPath(new URL('.', import.meta.url));
const wanted = process.argv.slice(2).filter((a) => a !== '--');

const files = readdirSync(folder)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && f !== 'run.ts')
  .sort();
const benches: Bench[] = [];
for (const file of files) {
  const module = (await import(pathToFileURL(join(folder, file)).href)) as { bench?: Bench };
  if (!module.bench) throw new Error(`${file} exports no \`bench\``);
  benches.push(module.bench);
}
const unknown = wanted.filter((name) => !benches.some((b) => b.name === name));
if (unknown.length > 0) {
  process.stderr.write(
    `unknown bench: ${unknown.join(', ')}; there are: ${benches.map((b) => b.name).join(', ')}\n`,
  );
  process.exit(2);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping the services the benches started …\n`);
    void runCleanups().finally(() => process.exit(1));
  });
}

let broken = 0;
const chosen = benches.filter((b) =>
  wanted.length === 0 ? !b.onlyWhenNamed : wanted.includes(b.name),
);
for (const bench of chosen) {
  process.stdout.write(`\n▶ ${bench.name}: ${bench.summary}\n`);
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const overran = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`overran its ${bench.timeoutMs / 1000} s limit`)),
      bench.timeoutMs,
    );
  });
  try {
    await Promise.race([bench.run(), overran]);
    process.stdout.write(
      `✓ ${bench.name} finished in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
    );
  } catch (err) {
    broken++;
    process.stderr.write(`✗ ${bench.name} broke: ${(err as Error).stack ?? String(err)}\n`);
    // A bench that overran may still hold a service; nothing of it may leak into the next one.
    await runCleanups();
  } finally {
    clearTimeout(timer);
  }
}
// Whatever a bench left behind (an HTTP agent's idle sockets, a forgotten timer) must not keep
// the run alive.
process.exit(broken > 0 ? 1 : 0);
