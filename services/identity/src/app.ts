import formbody from '@fastify/formbody';
import { accessTokenAuth } from '@tongban/auth';
import type { Database } from '@tongban/db';
import { type Clock, deriveKey, serveSigningKeys, signingKeys } from '@tongban/keys';
import { createService, type ServiceInstance } from '@tongban/service-kit';
import {
  registerWebhooks,
  WEBHOOK_SEAL_PURPOSE,
  type WebhookWorkerSettings,
} from '@tongban/webhooks';
import type { IdentityConfig } from './config.js';
import { deriveSecrets } from './crypto/secrets.js';
import {
  deliveries,
  idempotencyKeys,
  outbox,
  signingKeys as signingKeysTable,
  subscriptions,
} from './db/schema.js';
import { bootstrapAdmin } from './domain/admin/manage.js';
import { ensureWorkflowClient } from './domain/admin/workflow-client.js';
import type { IdentityContext } from './domain/context.js';
import { recordChange } from './domain/events/record-change.js';
import { PresentationImageCache } from './domain/presentations/presentation-qr.js';
import { VerificationBatcher } from './domain/presentations/verification-batcher.js';
import { StatusListCache } from './domain/status-lists/status-list-cache.js';
import { identityErrors } from './errors.js';
import { adminRoutes } from './routes/admin/index.js';
import { authRoutes } from './routes/auth/index.js';
import { credentialRoutes } from './routes/credentials/index.js';
import { departmentRoutes } from './routes/departments/index.js';
import { departmentSecurityRoutes } from './routes/departments/security.js';
import { deviceRoutes } from './routes/devices/index.js';
import { loginThrottlingRoutes } from './routes/login-throttling/index.js';
import { meRoutes } from './routes/me/index.js';
import { passkeyRoutes } from './routes/passkeys/index.js';
import { presentationRoutes } from './routes/presentations/index.js';
import { installResidentProof } from './routes/resident-proof.js';
import { residentRoutes } from './routes/residents/index.js';
import { statusListRoutes } from './routes/status-lists/index.js';
import { verificationRoutes } from './routes/verifications/index.js';

export interface IdentityDeps {
  readonly config: IdentityConfig;
  readonly database: Database;
  /** Overrides config.masterKey (the server resolves the demo's generated key). */
  readonly masterKey?: Buffer;
  readonly clock?: Clock;
  /** The webhook delivery passes; false when a test drives the steps itself. */
  readonly webhookWorker?: false | WebhookWorkerSettings;
}

// The longest-lived thing a signing key signs is an access token (15 min); add the 30 s skew
// verifiers allow. A retired key stays in the JWKS this long.
const KEY_OVERLAP_MS = (15 * 60 + 30) * 1000;

/** Builds the identity service; no listening, no environment: the caller decides both. */
export async function buildApp(deps: IdentityDeps): Promise<ServiceInstance> {
  const { config, database } = deps;
  const masterKey = deps.masterKey ?? config.masterKey;
  if (!masterKey) throw new Error('identity needs a master key (IDENTITY_MASTER_KEY)');
  const clock = deps.clock ?? (() => new Date());
  const secrets = deriveSecrets(masterKey);
  const keys = signingKeys({
    service: 'identity',
    db: database.db,
    table: signingKeysTable,
    masterKey,
    clock,
    overlapMs: KEY_OVERLAP_MS,
    maxAgeMs: config.signingKeyMaxAgeMs,
  });
  const verifications = new VerificationBatcher(database.db, clock);
  const ctx: IdentityContext = {
    db: database.db,
    keys,
    secrets,
    clock,
    config,
    verifications,
    statusLists: new StatusListCache(),
    presentationImages: new PresentationImageCache(),
  };
  await keys.ensureActiveKey();
  if (config.bootstrapAdminPassword) await bootstrapAdmin(ctx, config.bootstrapAdminPassword);
  if (config.workflowClientSecret) await ensureWorkflowClient(ctx, config.workflowClientSecret);

  const app = await createService({
    name: 'identity',
    version: '1.0.0',
    description:
      'Residents, devices, credentials, presentation QR and its verification, keys, revocation, staff and client authentication.',
    readiness: () => database.checkReady(),
    config,
    clock,
    database,
    idempotencyTable: idempotencyKeys,
    errors: identityErrors,
  });
  await app.register(formbody, { bodyLimit: config.bodyLimit });
  await app.register(accessTokenAuth, {
    resolver: keys,
    issuer: config.issuer,
    audience: config.audience,
    now: clock,
  });

  installResidentProof(app, ctx);

  departmentRoutes(app, ctx);
  departmentSecurityRoutes(app, ctx);
  adminRoutes(app, ctx);
  authRoutes(app, ctx);
  passkeyRoutes(app, ctx);
  loginThrottlingRoutes(app, ctx);
  residentRoutes(app, ctx);
  deviceRoutes(app, ctx);
  presentationRoutes(app, ctx);
  credentialRoutes(app, ctx);
  statusListRoutes(app, ctx);
  serveSigningKeys(app, { service: 'identity', keys });
  meRoutes(app, ctx);
  verificationRoutes(app, ctx);
  registerWebhooks(app, {
    db: database.db,
    clock,
    tables: { outbox, subscriptions, deliveries },
    idempotencyKeys,
    recordChange,
    sealKey: deriveKey(masterKey, 'identity', WEBHOOK_SEAL_PURPOSE),
    urlPolicy: config.webhooks,
    ...(deps.webhookWorker === undefined ? {} : { worker: deps.webhookWorker }),
  });
  return app;
}
