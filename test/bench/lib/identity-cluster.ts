// Identity on every core for the benches: node:cluster workers, each running server.ts unchanged,
// share one listening port (the primary accepts and hands connections out round-robin). They
// share the PostgreSQL database at DATABASE_URL, as replicas do in production. The first worker
// starts alone, so migrations and the first admin are made once; the others follow it.
import cluster from 'node:cluster';

const workers = Number(process.env.IDENTITY_WORKERS ?? '2');

if (cluster.isPrimary) {
  cluster.setupPrimary({ execArgv: process.execArgv });
  const fork = () =>
    new Promise<void>((resolve, reject) => {
      const worker = cluster.fork();
      worker.once('listening', () => resolve());
      worker.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
    });
  await fork();
  await Promise.all(Array.from({ length: workers - 1 }, fork));
  // Graceful close: each worker's server.ts handles SIGTERM itself.
  process.once('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    cluster.once('exit', () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    });
    setInterval(() => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    }, 100).unref();
  });
} else {
  // By URL, not a specifier: the entry point is loaded for its effect, as `node server.ts` would.
  await import(new URL('../../../services/identity/src/server.ts', import.meta.url).href);
}
