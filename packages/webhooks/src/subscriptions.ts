import { randomUUID } from 'node:crypto';
import type { Actor } from '@tongban/auth';
import {
  decodeCursor,
  errors,
  type ListQuery,
  page,
  type RecordChange,
  type RequestContext,
  withTransaction,
} from '@tongban/service-kit';
import { and, asc, eq, gt, isNull, or } from 'drizzle-orm';
import { isInternalAddress, resolveAll } from './address-policy.js';
import type { WebhookTables } from './dispatch.js';
import { newWebhookSecret, sealSecret } from './seal.js';

export interface UrlPolicy {
  /** Subscribers on loopback, link-local or private addresses (tests, the demo city). */
  readonly allowPrivateAddresses: boolean;
  readonly requireHttps: boolean;
}

export interface SubscriptionServices {
  readonly tables: WebhookTables;
  readonly recordChange: RecordChange;
  readonly sealKey: Buffer;
  readonly urlPolicy: UrlPolicy;
}

export type SubscriptionContext = RequestContext<Actor> & {
  readonly webhooks: SubscriptionServices;
};

type SubscriptionRow = WebhookTables['subscriptions']['$inferSelect'];

export function toSubscription(row: SubscriptionRow) {
  return {
    id: row.id,
    url: row.url,
    eventTypes: row.eventTypes,
    ownerDepartment: row.ownerDepartment,
    createdAt: row.createdAt.toISOString(),
  };
}

/**
 * Department systems and department administrators manage their own department's
 * subscriptions; nobody else manages any.
 */
function ownerDepartmentOf(actor: Actor): string {
  if (actor.kind === 'client') return actor.department;
  if (actor.kind === 'staff' && actor.roles.includes('department_admin')) return actor.department;
  throw errors.forbidden(
    'Subscriptions are managed by department systems and department administrators.',
  );
}

function invalidUrl(message: string) {
  return errors.validationFailed('The subscription URL cannot be used.', {
    errors: [{ field: 'body.url', message }],
  });
}

async function checkUrl(raw: string, policy: UrlPolicy): Promise<string> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalidUrl('is not an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalidUrl('must be http(s)');
  if (policy.requireHttps && url.protocol !== 'https:') throw invalidUrl('must use https');
  if (url.username !== '' || url.password !== '') throw invalidUrl('must not carry credentials');
  if (url.hash !== '') throw invalidUrl('must not carry a fragment');
  if (!policy.allowPrivateAddresses) {
    let addresses: string[];
    try {
      addresses = await resolveAll(url.hostname);
    } catch {
      throw invalidUrl('does not resolve');
    }
    // Delivery checks again at connect time; this only refuses what is internal already.
    if (addresses.length === 0 || addresses.some(isInternalAddress)) {
      throw invalidUrl('resolves to a loopback, link-local or private address');
    }
  }
  return url.toString();
}

/** Creates a subscription; the secret is in the answer once and only sealed thereafter. */
export async function createSubscription({
  ctx,
  input,
}: {
  ctx: SubscriptionContext;
  input: { url: string; eventTypes: readonly string[] };
}) {
  const owner = ownerDepartmentOf(ctx.actor);
  const { tables, sealKey, urlPolicy } = ctx.webhooks;
  const url = await checkUrl(input.url, urlPolicy);
  const eventTypes = [...new Set(input.eventTypes)].sort();
  const id = randomUUID();
  const secret = newWebhookSecret();
  return withTransaction(ctx, async (ctx) => {
    const [row] = await ctx.db
      .insert(tables.subscriptions)
      .values({
        id,
        ownerDepartment: owner,
        createdBy: `${ctx.actor.kind}:${ctx.actor.subject}`,
        url,
        eventTypes,
        secretSealed: sealSecret(sealKey, secret, id),
        createdAt: ctx.clock(),
      })
      .returning();
    if (row === undefined) throw errors.internal();
    await ctx.webhooks.recordChange(ctx, {
      aggregate: { type: 'subscription', id },
      type: 'subscription.created',
      data: { id, url, eventTypes, ownerDepartment: owner },
      audience: owner,
    });
    return { ...toSubscription(row), secret };
  });
}

export async function listSubscriptions({
  ctx,
  input,
}: {
  ctx: SubscriptionContext;
  input: ListQuery;
}) {
  const owner = ownerDepartmentOf(ctx.actor);
  const { subscriptions } = ctx.webhooks.tables;
  const after = decodeCursor(input.cursor, 2);
  const afterKey =
    after && typeof after[0] === 'string' && typeof after[1] === 'string'
      ? { at: new Date(after[0]), id: after[1] }
      : undefined;
  if (after !== undefined && (afterKey === undefined || Number.isNaN(afterKey.at.getTime()))) {
    throw errors.validationFailed('The cursor is not one this service issued.', {
      errors: [{ field: 'querystring.cursor', message: 'is invalid' }],
    });
  }
  const rows = await ctx.db
    .select()
    .from(subscriptions)
    .where(
      and(
        eq(subscriptions.ownerDepartment, owner),
        isNull(subscriptions.disabledAt),
        afterKey
          ? or(
              gt(subscriptions.createdAt, afterKey.at),
              and(eq(subscriptions.createdAt, afterKey.at), gt(subscriptions.id, afterKey.id)),
            )
          : undefined,
      ),
    )
    .orderBy(asc(subscriptions.createdAt), asc(subscriptions.id))
    .limit(input.limit + 1);
  return page(rows, input.limit, toSubscription, (r) => [r.createdAt.toISOString(), r.id]);
}

/** Disables one of the caller's department's subscriptions; another department's is 404. */
export async function deleteSubscription({
  ctx,
  input,
}: {
  ctx: SubscriptionContext;
  input: { id: string };
}): Promise<void> {
  const owner = ownerDepartmentOf(ctx.actor);
  const { subscriptions } = ctx.webhooks.tables;
  await withTransaction(ctx, async (ctx) => {
    const [row] = await ctx.db
      .update(subscriptions)
      .set({ disabledAt: ctx.clock() })
      .where(
        and(
          eq(subscriptions.id, input.id),
          eq(subscriptions.ownerDepartment, owner),
          isNull(subscriptions.disabledAt),
        ),
      )
      .returning();
    if (row === undefined) throw errors.notFound('No such subscription.');
    await ctx.webhooks.recordChange(ctx, {
      aggregate: { type: 'subscription', id: row.id },
      type: 'subscription.deleted',
      data: { id: row.id, ownerDepartment: owner },
      audience: owner,
    });
  });
}
