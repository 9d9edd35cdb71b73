import { ListQuery, listOf, type ServiceInstance } from '@tongban/service-kit';
import { Type } from 'typebox';
import { THROTTLE_DECISIONS } from '../../domain/auth/login.js';
import { listLoginThrottling, unlockStaffSignIn } from '../../domain/auth/login-throttling.js';
import type { IdentityContext } from '../../domain/context.js';
import { requestContext } from '../context.js';

const staffOnly = { auth: { kinds: ['staff'] as const } };
const security = [{ bearerAuth: [] }];

const ThrottleEvent = Type.Object({
  id: Type.String(),
  staffId: Type.String(),
  department: Type.String(),
  address: Type.Union([Type.String(), Type.Null()]),
  decision: Type.Enum([...THROTTLE_DECISIONS], {
    description:
      'pair_delayed / address_limited: a sign-in refused (429) for a while; known_address_spared: let through from an address the member signed in from before; account_locked: the 100th consecutive failure blocked the account; account_refused: a sign-in refused (423) while blocked; account_unlocked: an administrator lifted the block',
  }),
  retryAfterSeconds: Type.Union([Type.Integer(), Type.Null()]),
  actorId: Type.Union([Type.String(), Type.Null()], {
    description: 'The administrator who unlocked',
  }),
  at: Type.String({ format: 'date-time' }),
});

export function loginThrottlingRoutes(app: ServiceInstance, ctx: IdentityContext) {
  app.get(
    '/v1/departments/:code/login-throttling',
    {
      config: staffOnly,
      schema: {
        tags: ['admin'],
        summary:
          "Sign-in throttling decisions about this department's staff, newest first (department_admin of it, system_admin)",
        security,
        params: Type.Object({ code: Type.String({ pattern: '^[a-z][a-z0-9_]{1,39}$' }) }),
        querystring: ListQuery,
        response: { 200: listOf(ThrottleEvent) },
      },
    },
    (request) =>
      listLoginThrottling({
        ctx: requestContext(request, ctx),
        input: { ...request.query, department: request.params.code },
      }),
  );

  app.post(
    '/v1/staff/:id/unlock',
    {
      config: staffOnly,
      schema: {
        tags: ['admin'],
        summary:
          'Lift the block after 100 consecutive failed sign-ins (department_admin of the member, system_admin for administrators)',
        security,
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: {
          200: Type.Object({ staffId: Type.String(), unlocked: Type.Boolean() }),
        },
      },
    },
    (request) =>
      unlockStaffSignIn({
        ctx: requestContext(request, ctx),
        input: { staffId: request.params.id },
      }),
  );
}
