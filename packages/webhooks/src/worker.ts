import type { Db } from '@tongban/db';
import { type DeliveryOutcome, deliverDue, type RetryPolicy } from './deliver.js';
import { dispatchOutbox, type MayReceive, type WebhookTables } from './dispatch.js';
import type { SendWebhook } from './send.js';

export interface WebhookWorkerOptions {
  readonly db: Db;
  readonly tables: WebhookTables;
  readonly sealKey: Buffer;
  readonly send: SendWebhook;
  readonly now: () => Date;
  readonly intervalMs: number;
  readonly leaseMs: number;
  readonly retry?: RetryPolicy;
  /** Narrows who receives each event, decided when it is dispatched. */
  readonly mayReceive?: MayReceive;
  readonly onError?: (error: unknown) => void;
}

export interface WebhookWorker {
  /** One pass: dispatch the outbox, then send what is due. */
  runOnce(): Promise<DeliveryOutcome[]>;
  start(): void;
  /** Stops the timer and waits for a pass in progress. */
  stop(): Promise<void>;
}

/**
 * A thin interval loop around `dispatchOutbox` and `deliverDue`. Passes never overlap within a
 * process; across replicas they may, which the claims in both steps are built for.
 */
export function createWebhookWorker(options: WebhookWorkerOptions): WebhookWorker {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = true;

  const runOnce = async () => {
    await dispatchOutbox({
      db: options.db,
      tables: options.tables,
      now: options.now(),
      mayReceive: options.mayReceive,
    });
    return deliverDue({
      db: options.db,
      tables: options.tables,
      sealKey: options.sealKey,
      send: options.send,
      now: options.now,
      leaseMs: options.leaseMs,
      ...(options.retry ? { retry: options.retry } : {}),
    });
  };

  const tick = () => {
    running = runOnce()
      .catch((err: unknown) => options.onError?.(err))
      .finally(() => {
        running = undefined;
        if (!stopped) timer = setTimeout(tick, options.intervalMs);
      });
  };

  return {
    runOnce,
    start() {
      if (!stopped) return;
      stopped = false;
      timer = setTimeout(tick, options.intervalMs);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}
