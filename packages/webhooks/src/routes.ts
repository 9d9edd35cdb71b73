import { requireActor } from '@tongban/auth';
import type { Db } from '@tongban/db';
import {
  IdempotencyKeyHeaders,
  type IdempotencyKeysTable,
  ListQuery,
  listOf,
  respondIdempotently,
  SafeText,
  type ServiceInstance,
} from '@tongban/service-kit';
import { Type } from 'typebox';
import {
  createSubscription,
  deleteSubscription,
  listSubscriptions,
  type SubscriptionServices,
} from './subscriptions.js';

const Subscription = Type.Object({
  id: Type.String({ format: 'uuid' }),
  url: Type.String(),
  eventTypes: Type.Array(Type.String()),
  ownerDepartment: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
});
const CreatedSubscription = Type.Object({
  ...Subscription.properties,
  secret: Type.String({
    description:
      'The signing secret (Standard Webhooks, whsec_…). Shown only in this response; store it now.',
  }),
});
const EventType = Type.String({ pattern: '^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+$', maxLength: 80 });
const security = [{ bearerAuth: [] }];
// Department systems and staff; the verb narrows staff to department administrators.
const auth = { kinds: ['staff', 'client'] } as const;

export interface SubscriptionRouteDeps {
  readonly db: Db;
  readonly clock: () => Date;
  readonly idempotencyKeys: IdempotencyKeysTable;
  readonly webhooks: SubscriptionServices;
}

/** `GET|POST /v1/subscriptions` and `DELETE /v1/subscriptions/{id}` for a service with an outbox. */
export function subscriptionRoutes(app: ServiceInstance, deps: SubscriptionRouteDeps) {
  const context = (request: { id: string; actor: unknown }, db: Db = deps.db) => ({
    db,
    actor: requireActor(request as Parameters<typeof requireActor>[0]),
    requestId: request.id,
    clock: deps.clock,
    webhooks: deps.webhooks,
  });

  app.get(
    '/v1/subscriptions',
    {
      config: { auth },
      schema: {
        tags: ['subscriptions'],
        summary: "Your department's webhook subscriptions",
        security,
        querystring: ListQuery,
        response: { 200: listOf(Subscription) },
      },
    },
    (request) => listSubscriptions({ ctx: context(request), input: request.query }),
  );

  app.post(
    '/v1/subscriptions',
    {
      config: { auth },
      schema: {
        tags: ['subscriptions'],
        summary:
          'Subscribe a URL to events (signed per Standard Webhooks, delivered at least once)',
        security,
        headers: IdempotencyKeyHeaders,
        body: Type.Object(
          {
            url: SafeText({ maxLength: 2048 }),
            eventTypes: Type.Array(EventType, { minItems: 1, maxItems: 32, uniqueItems: true }),
          },
          { additionalProperties: false },
        ),
        response: { 201: CreatedSubscription },
      },
    },
    (request, reply) =>
      respondIdempotently(request, reply, {
        db: deps.db,
        table: deps.idempotencyKeys,
        now: deps.clock(),
        run: async (tx) => {
          const created = await createSubscription({
            ctx: context(request, tx),
            input: request.body,
          });
          return {
            status: 201,
            body: created,
            headers: { location: `/v1/subscriptions/${created.id}` },
          };
        },
      }),
  );

  app.delete(
    '/v1/subscriptions/:id',
    {
      config: { auth },
      schema: {
        tags: ['subscriptions'],
        summary: 'Stop a subscription; deliveries not yet sent are dropped',
        security,
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      await deleteSubscription({ ctx: context(request), input: { id: request.params.id } });
      return reply.code(204).send(null);
    },
  );
}
