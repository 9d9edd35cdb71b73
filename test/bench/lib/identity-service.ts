import { randomBytes } from 'node:crypto';
import { type ServiceProcess, startServiceProcess } from './service-process.js';

export interface IdentityService extends ServiceProcess {
  readonly adminPassword: string;
  /** Processes serving requests (node:cluster workers behind the one port, or 1). */
  readonly workers: number;
}

export interface StartOptions {
  /** Extra Node flags for the service process, e.g. `--cpu-prof`. */
  readonly nodeFlags?: readonly string[];
  readonly startTimeoutMs?: number;
  /**
   * Worker processes behind one port (node:cluster, lib/identity-cluster.ts). More than one needs
   * the PostgreSQL server at DATABASE_URL: an embedded database belongs to one process.
   */
  readonly workers?: number;
}

/**
 * Starts identity as in production (its own process, `server.ts` or the cluster entry), with a
 * bootstrap administrator whose password the bench knows. Its base URL is also its only public
 * URL, so device proofs name it as `htu`.
 */
export async function startIdentity(options: StartOptions = {}): Promise<IdentityService> {
  const adminPassword = randomBytes(18).toString('base64url');
  const workers = options.workers ?? 1;
  const service = await startServiceProcess({
    service: 'identity',
    entry: workers > 1 ? 'test/bench/lib/identity-cluster.ts' : 'services/identity/src/server.ts',
    requireServer: workers > 1,
    ...(options.nodeFlags ? { nodeFlags: options.nodeFlags } : {}),
    ...(options.startTimeoutMs ? { startTimeoutMs: options.startTimeoutMs } : {}),
    env: (baseUrl) => ({
      IDENTITY_MASTER_KEY: randomBytes(32).toString('base64url'),
      BOOTSTRAP_ADMIN_PASSWORD: adminPassword,
      IDENTITY_PUBLIC_URLS: baseUrl,
      WEBAUTHN_RP_ID: 'localhost',
      WEBAUTHN_ORIGINS: 'https://localhost:3000',
      IDENTITY_WORKERS: String(workers),
    }),
  });
  return { ...service, adminPassword, workers };
}
