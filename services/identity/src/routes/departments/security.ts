import type { ServiceInstance } from '@tongban/service-kit';
import { Type } from 'typebox';
import type { IdentityContext } from '../../domain/context.js';
import {
  getDepartmentSecurity,
  setDepartmentSecurity,
} from '../../domain/departments/department-security.js';
import { requestContext } from '../context.js';

const DepartmentSecurity = Type.Object({
  department: Type.String(),
  requirePasskey: Type.Boolean({
    description: "When true, the department's staff sign in with passkeys only",
  }),
  version: Type.Integer({ description: '0 while the department keeps the defaults' }),
  updatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
const Params = Type.Object({ code: Type.String({ pattern: '^[a-z][a-z0-9_]{1,39}$' }) });
const security = [{ bearerAuth: [] }];
const admins = { kinds: ['staff' as const], roles: ['department_admin', 'system_admin'] };

/** A department's sign-in policy, managed by its own administrators or a system administrator. */
export function departmentSecurityRoutes(app: ServiceInstance, ctx: IdentityContext) {
  app.get(
    '/v1/departments/:code/security',
    {
      config: { auth: admins },
      schema: {
        tags: ['departments'],
        summary: "A department's sign-in policy (its department_admin or a system_admin)",
        security,
        params: Params,
        response: { 200: DepartmentSecurity },
      },
    },
    (request) =>
      getDepartmentSecurity({
        ctx: requestContext(request, ctx),
        input: { department: request.params.code },
      }),
  );

  app.put(
    '/v1/departments/:code/security',
    {
      config: { auth: admins },
      schema: {
        tags: ['departments'],
        summary:
          "Set a department's sign-in policy; requirePasskey refuses its staff's password sign-in (except the bootstrap admin)",
        security,
        params: Params,
        body: Type.Object({ requirePasskey: Type.Boolean() }, { additionalProperties: false }),
        response: { 200: DepartmentSecurity },
      },
    },
    (request) =>
      setDepartmentSecurity({
        ctx: requestContext(request, ctx),
        input: { department: request.params.code, requirePasskey: request.body.requirePasskey },
      }),
  );
}
