import { randomUUID } from 'node:crypto';
import type { Db } from '@tongban/db';
import { and, asc, eq, inArray, isNull, lte, or, sql } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import type { WebhookTables } from './dispatch.js';
import { openSecret } from './seal.js';
import type { SendWebhook } from './send.js';

export interface RetryPolicy {
  /** First retry is drawn from [0, baseMs]; each later one doubles the bound. */
  readonly baseMs: number;
  readonly capMs: number;
  /** After this many attempts a delivery is dead-lettered. */
  readonly maxAttempts: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  baseMs: 5_000,
  capMs: 6 * 60 * 60 * 1000,
  maxAttempts: 12,
};

export interface DeliverOptions {
  readonly db: Db;
  readonly tables: Pick<WebhookTables, 'subscriptions' | 'deliveries'>;
  readonly sealKey: Buffer;
  readonly send: SendWebhook;
  readonly now: () => Date;
  /** How long a claim holds; a worker that dies mid-delivery releases it by letting it lapse. */
  readonly leaseMs: number;
  readonly retry?: RetryPolicy;
  readonly limit?: number;
  /** [0, 1); injectable so tests can pin the jitter. */
  readonly random?: () => number;
}

export interface DeliveryOutcome {
  readonly eventId: string;
  readonly subscriptionId: string;
  readonly status: 'delivered' | 'pending' | 'dead' | 'lost_lease';
}

/**
 * Claims due deliveries, sends them, and records each outcome. The claim is its own short
 * transaction (SKIP LOCKED, then a lease), so no transaction stays open across a subscriber's
 * response time and replicas never take the same delivery while its lease holds. An outcome is
 * written only while this worker's lease is still the current one.
 */
export async function deliverDue(options: DeliverOptions): Promise<DeliveryOutcome[]> {
  const { db, now, send } = options;
  const { deliveries, subscriptions } = options.tables;
  const retry = options.retry ?? DEFAULT_RETRY;
  const random = options.random ?? Math.random;
  const claimedAt = now();
  const leaseId = randomUUID();

  const due = db
    .select({ eventId: deliveries.eventId, subscriptionId: deliveries.subscriptionId })
    .from(deliveries)
    .where(
      and(
        eq(deliveries.status, 'pending'),
        lte(deliveries.nextAttemptAt, claimedAt),
        or(isNull(deliveries.lockedUntil), lte(deliveries.lockedUntil, claimedAt)),
      ),
    )
    .orderBy(asc(deliveries.nextAttemptAt))
    .limit(options.limit ?? 20)
    .for('update', { skipLocked: true });
  // A killed worker's attempt is counted too: at-least-once means it may have arrived.
  const claimed = await db
    .update(deliveries)
    .set({
      leaseId,
      lockedUntil: new Date(claimedAt.getTime() + options.leaseMs),
      attempts: sql`${deliveries.attempts} + 1`,
    })
    .where(sql`(${deliveries.eventId}, ${deliveries.subscriptionId}) in (${due})`)
    .returning();
  if (claimed.length === 0) return [];

  const subs = await db
    .select()
    .from(subscriptions)
    .where(
      inArray(
        subscriptions.id,
        claimed.map((d) => d.subscriptionId),
      ),
    );
  const byId = new Map(subs.map((s) => [s.id, s]));

  return Promise.all(
    claimed.map(async (delivery): Promise<DeliveryOutcome> => {
      const key = { eventId: delivery.eventId, subscriptionId: delivery.subscriptionId };
      const sub = byId.get(delivery.subscriptionId);
      let result: { status: number } | { error: string };
      if (sub === undefined || sub.disabledAt !== null) {
        result = { error: 'subscription deleted' };
      } else {
        try {
          const sentAt = now();
          const body = JSON.stringify({
            type: delivery.eventType,
            timestamp: delivery.occurredAt.toISOString(),
            data: delivery.payload,
          });
          const secret = openSecret(options.sealKey, sub.secretSealed, sub.id);
          // The outbox event id is the webhook id: the same on every retry, for deduplication.
          const signature = new Webhook(secret).sign(delivery.eventId, sentAt, body);
          result = await send({
            url: sub.url,
            body,
            headers: {
              'webhook-id': delivery.eventId,
              'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
              'webhook-signature': signature,
              'user-agent': 'Tongban-Webhooks/1',
            },
          });
        } catch (err) {
          result = { error: (err as Error).message };
        }
      }
      const finishedAt = now();
      const ok = 'status' in result && result.status >= 200 && result.status < 300;
      const gone = sub === undefined || sub.disabledAt !== null;
      const last = {
        lastStatusCode: 'status' in result ? result.status : null,
        lastError:
          'error' in result ? result.error.slice(0, 500) : ok ? null : `HTTP ${result.status}`,
        lockedUntil: null,
        leaseId: null,
      };
      let set: Partial<typeof deliveries.$inferInsert>;
      if (ok) {
        set = { ...last, status: 'delivered', deliveredAt: finishedAt };
      } else if (gone || delivery.attempts >= retry.maxAttempts) {
        set = { ...last, status: 'dead' };
      } else {
        // Full jitter (exponential backoff, bound doubling per attempt, capped).
        const bound = Math.min(retry.capMs, retry.baseMs * 2 ** (delivery.attempts - 1));
        set = {
          ...last,
          status: 'pending',
          nextAttemptAt: new Date(finishedAt.getTime() + Math.floor(random() * bound)),
        };
      }
      const written = await db
        .update(deliveries)
        .set(set)
        .where(
          and(
            eq(deliveries.eventId, key.eventId),
            eq(deliveries.subscriptionId, key.subscriptionId),
            eq(deliveries.leaseId, leaseId),
          ),
        )
        .returning({ status: deliveries.status });
      const status = written[0]?.status;
      return { ...key, status: status ?? 'lost_lease' };
    }),
  );
}

/** Deliveries per state, for the metrics gauge; every state is reported, zero included. */
export async function deliveryCounts(options: {
  readonly db: Db;
  readonly deliveries: WebhookTables['deliveries'];
}): Promise<{ labels: { state: string }; value: number }[]> {
  const { db, deliveries } = options;
  const rows = await db
    .select({ state: deliveries.status, count: sql<number>`count(*)::int` })
    .from(deliveries)
    .groupBy(deliveries.status);
  return (['pending', 'delivered', 'dead'] as const).map((state) => ({
    labels: { state },
    value: Number(rows.find((r) => r.state === state)?.count ?? 0),
  }));
}
