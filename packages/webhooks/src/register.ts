import type { Db } from '@tongban/db';
import {
  type IdempotencyKeysTable,
  outboxBacklog,
  type RecordChange,
  type ServiceInstance,
} from '@tongban/service-kit';
import { deliveryCounts, type RetryPolicy } from './deliver.js';
import type { MayReceive, WebhookTables } from './dispatch.js';
import { type RetentionPolicy, sweepDelivered } from './retention.js';
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
  /** The delivery passes this replica runs, or false when something else drives the steps. */
  readonly worker?: false | WebhookWorkerSettings;
  /** How long finished outbox rows and deliveries are kept (defaults: 7, 7 and 30 days). */
  readonly retention?: RetentionPolicy;
  /**
   * Which subscriptions may receive each event, decided at dispatch (e.g. records: only
   * departments the data's owner allows). Default: every subscriber of the event type.
   */
  readonly mayReceive?: MayReceive;
}

export interface WebhookWorkerSettings {
  /** Between two passes (default 1 s). */
  readonly intervalMs?: number;
  /** How long a claimed delivery is this replica's before another may take it over (default 60 s). */
  readonly leaseMs?: number;
  /** Whole exchange with a subscriber (default 10 s); must stay well under the lease. */
  readonly timeoutMs?: number;
  readonly retry?: RetryPolicy;
  readonly send?: SendWebhook;
}

/**
 * Adds the subscription routes to a service and, unless turned off, runs its delivery passes as
 * a background job, with the outbox backlog and delivery states as metrics.
 */
export function registerWebhooks(
  app: ServiceInstance,
  settings: WebhookSettings,
): WebhookWorker | undefined {
  const { db, clock, tables, sealKey, urlPolicy } = settings;
  // Dispatched outbox rows and finished deliveries are deleted after their retention; the events
  // themselves stay in the append-only event log. Runs even where this replica delivers nothing.
  app.jobs.register({
    name: 'webhook-retention',
    intervalMs: 3_600_000,
    run: ({ now }) =>
      sweepDelivered({
        db,
        tables,
        now,
        ...(settings.retention ? { policy: settings.retention } : {}),
      }),
  });
  subscriptionRoutes(app, {
    db,
    clock,
    idempotencyKeys: settings.idempotencyKeys,
    webhooks: { tables, recordChange: settings.recordChange, sealKey, urlPolicy },
  });
  // The backlog is the database's, so every replica reports it, delivering or not.
  // Both outbox gauges read one query: a scrape collects them together, so they share it.
  let reading: ReturnType<typeof outboxBacklog> | undefined;
  const backlog = () => {
    reading ??= outboxBacklog({ db, outbox: tables.outbox, now: clock() }).finally(() => {
      reading = undefined;
    });
    return reading;
  };
  app.prometheus.gauge({
    name: 'tongban_outbox_pending_events',
    help: 'Events written to the outbox and not yet handed to webhook deliveries.',
    collect: async () => (await backlog()).pending,
  });
  app.prometheus.gauge({
    name: 'tongban_outbox_oldest_pending_age_seconds',
    help: 'Age of the oldest outbox event not yet dispatched (0 when none).',
    collect: async () => (await backlog()).oldestAgeSeconds,
  });
  app.prometheus.gauge({
    name: 'tongban_webhook_deliveries',
    help: 'Webhook deliveries by state (pending deliveries are the backlog; dead ones gave up).',
    labelNames: ['state'],
    collect: () => deliveryCounts({ db, deliveries: tables.deliveries }),
  });
  if (settings.worker === false) return undefined;
  const options = settings.worker ?? {};
  const intervalMs = options.intervalMs ?? 1000;
  const worker = createWebhookWorker({
    db,
    tables,
    sealKey,
    now: clock,
    intervalMs,
    leaseMs: options.leaseMs ?? 60_000,
    ...(options.retry ? { retry: options.retry } : {}),
    ...(settings.mayReceive ? { mayReceive: settings.mayReceive } : {}),
    send:
      options.send ??
      httpSender({
        timeoutMs: options.timeoutMs ?? 10_000,
        allowPrivateAddresses: urlPolicy.allowPrivateAddresses,
      }),
  });
  // One pass per tick from the service's job registry: counted in metrics, stopped on close.
  app.jobs.register({
    name: 'webhook-delivery',
    intervalMs,
    jitter: 0.2,
    run: () => worker.runOnce(),
  });
  return worker;
}
