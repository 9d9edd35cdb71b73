import { randomBytes } from 'node:crypto';
import { accessTokenAuth, identityKeyResolver, type KeyResolver } from '@tongban/auth';
import type { Database } from '@tongban/db';
import { createService, type ServiceInstance } from '@tongban/service-kit';
import { registerWebhooks, type SendWebhook } from '@tongban/webhooks';
import type { RecordsConfig } from './config.js';
import { deliveries, idempotencyKeys, outbox, subscriptions } from './db/schema.js';
import { recordChange } from './domain/events/record-change.js';
import { recordTypeRoutes } from './routes/record-types/index.js';

export interface RecordsDeps {
  readonly config: RecordsConfig;
  readonly database: Database;
  readonly clock?: () => Date;
  /** Identity's keys; by default fetched from `config.identityUrl` and cached. */
  readonly keyResolver?: KeyResolver;
  /** Seals webhook secrets; by default the configured key, else (not in production) a fresh one. */
  readonly webhookSealKey?: Buffer;
  /** The webhook delivery loop; false when a test drives the steps itself. */
  readonly webhookWorker?: false | { readonly intervalMs?: number; readonly send?: SendWebhook };
}

/** Builds the records service; no listening, no environment: the caller decides both. */
export async function buildApp(deps: RecordsDeps): Promise<ServiceInstance> {
  const { config, database } = deps;
  const clock = deps.clock ?? (() => new Date());
  const app = await createService({
    name: 'records',
    version: '1.0.0',
    description:
      'Record types, certified records, consent, access policy, the tamper-evident access log and subscriptions.',
    readiness: () => database.checkReady(),
    config,
  });
  await app.register(accessTokenAuth, {
    resolver: deps.keyResolver ?? identityKeyResolver(config.identityUrl),
    issuer: config.issuer,
    audience: config.audience,
    now: clock,
  });
  recordTypeRoutes(app, { db: database.db, clock });
  const worker = deps.webhookWorker ?? {};
  registerWebhooks(app, {
    db: database.db,
    clock,
    tables: { outbox, subscriptions, deliveries },
    idempotencyKeys,
    recordChange,
    sealKey: deps.webhookSealKey ?? config.webhooks.sealKey ?? randomBytes(32),
    urlPolicy: {
      allowPrivateAddresses: config.webhooks.allowPrivateUrls,
      requireHttps: config.webhooks.requireHttps,
    },
    worker:
      worker === false
        ? false
        : {
            intervalMs: worker.intervalMs ?? 1000,
            leaseMs: 60_000,
            timeoutMs: 10_000,
            ...(worker.send ? { send: worker.send } : {}),
          },
  });
  return app;
}
