import {
  IdempotencyKeyHeaders,
  respondIdempotently,
  type ServiceInstance,
} from '@tongban/service-kit';
import { idempotencyKeys } from '../../db/schema.js';
import { createPolicy } from '../../domain/policies/create-policy.js';
import { listPolicies } from '../../domain/policies/list-policies.js';
import { withdrawPolicy } from '../../domain/policies/withdraw-policy.js';
import { type RecordsDeps, requestContext } from '../context.js';
import { ListPoliciesQuery, NewPolicy, Policy, PolicyIdParams, PolicyList } from './schemas.js';

const owners = { kinds: ['staff'] as const, roles: ['department_admin', 'system_admin'] };

/** Access policies (ADR 0013): the data's owner says which department reads which fields, and why. */
export function policyRoutes(app: ServiceInstance, deps: RecordsDeps) {
  app.get(
    '/v1/policies',
    {
      // Any department may see who may read what: transparency, not a secret.
      config: { auth: { kinds: ['staff', 'client'] } },
      schema: {
        tags: ['policies'],
        summary: 'Which department may read which fields of which record type, for which purpose',
        security: [{ bearerAuth: [] }],
        querystring: ListPoliciesQuery,
        response: { 200: PolicyList },
      },
    },
    (request) => listPolicies({ ctx: requestContext(request, deps), input: request.query }),
  );

  app.post(
    '/v1/policies',
    {
      config: { auth: owners, errors: ['already_exists'] },
      schema: {
        tags: ['policies'],
        summary:
          'Allow another department to read fields of a record type your department issues, for one purpose (department_admin)',
        security: [{ bearerAuth: [] }],
        headers: IdempotencyKeyHeaders,
        body: NewPolicy,
        response: { 201: Policy },
      },
    },
    (request, reply) =>
      respondIdempotently(request, reply, {
        db: deps.db,
        table: idempotencyKeys,
        now: deps.clock(),
        run: async (tx) => ({
          status: 201,
          body: await createPolicy({
            ctx: requestContext(request, deps, { db: tx }),
            input: request.body,
          }),
        }),
      }),
  );

  app.post(
    '/v1/policies/:id/withdraw',
    {
      config: { auth: owners },
      schema: {
        tags: ['policies'],
        summary:
          'Withdraw a policy: reads relying on it are refused from now on (department_admin)',
        security: [{ bearerAuth: [] }],
        params: PolicyIdParams,
        response: { 200: Policy },
      },
    },
    (request) =>
      withdrawPolicy({ ctx: requestContext(request, deps), input: { id: request.params.id } }),
  );
}
