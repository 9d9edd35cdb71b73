import type { Db } from '@tongban/db';
import type { IdempotencyKeysTable, RecordChange, ServiceInstance } from '@tongban/service-kit';
import type { RetryPolicy } from './deliver.js';
import type { WebhookTables } from './dispatch.js';
import { subscriptionRoutes } from './routes.js';
import { httpSender, type SendWebhook } from './send.js';
import type { UrlPolicy } from './subscriptions.js';
import { createWebhookWorker, type WebhookWorker } from './worker.js';

export interface WebhookSettings {
  readonly db: Db;
  readonly clock: () => Date;
  readonly tables: WebhookTables;
  readonly idempotencyKeys: IdempotencyKeysTable;
  readonly recordChange: RecordChange;
  /** 32 bytes; seals subscription secrets at rest. */
  readonly sealKey: Buffer;
  readonly urlPolicy: UrlPolicy;
  /** The delivery loop this replica runs, or false when something else drives the steps. */
  readonly worker:
    | false
    | {
        readonly intervalMs: number;
        readonly leaseMs: number;
        readonly timeoutMs: number;
        readonly retry?: RetryPolicy;
        readonly send?: SendWebhook;
      };
}

/**
 * Adds the subscription routes to a service and, unless turned off, runs its delivery loop from
 * the moment the app is ready until it closes.
 */
export function registerWebhooks(
  app: ServiceInstance,
  settings: WebhookSettings,
): WebhookWorker | undefined {
  const { db, clock, tables, sealKey, urlPolicy } = settings;
  subscriptionRoutes(app, {
    db,
    clock,
    idempotencyKeys: settings.idempotencyKeys,
    webhooks: { tables, recordChange: settings.recordChange, sealKey, urlPolicy },
  });
  if (settings.worker === false) return undefined;
  const options = settings.worker;
  const worker = createWebhookWorker({
    db,
    tables,
    sealKey,
    now: clock,
    intervalMs: options.intervalMs,
    leaseMs: options.leaseMs,
    ...(options.retry ? { retry: options.retry } : {}),
    send:
      options.send ??
      httpSender({
        timeoutMs: options.timeoutMs,
        allowPrivateAddresses: urlPolicy.allowPrivateAddresses,
      }),
    onError: (err) => app.log.error({ err }, 'webhook delivery pass failed'),
  });
  app.addHook('onReady', async () => worker.start());
  app.addHook('onClose', () => worker.stop());
  return worker;
}
