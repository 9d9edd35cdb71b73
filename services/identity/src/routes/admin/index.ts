import { STAFF_ROLES } from '@tongban/auth';
import { SafeText, type ServiceInstance } from '@tongban/service-kit';
import { Type } from 'typebox';
import {
  createClient,
  createDepartment,
  createStaff,
  setAttributePolicy,
} from '../../domain/admin/manage.js';
import type { IdentityContext } from '../../domain/context.js';
import { toDepartment } from '../../domain/departments/list-departments.js';
import { ATTRIBUTES } from '../../domain/presentations/verify-presentation.js';
import { CLIENT_SCOPES } from '../../domain/scopes.js';
import { requestContext } from '../context.js';
import { Department } from '../departments/schemas.js';

const staffOnly = { auth: { kinds: ['staff'] as const } };
const creating = { ...staffOnly, errors: ['already_exists'] };
const Code = Type.String({ pattern: '^[a-z][a-z0-9_]{1,39}$' });
const security = [{ bearerAuth: [] }];

export function adminRoutes(app: ServiceInstance, ctx: IdentityContext) {
  app.post(
    '/v1/departments',
    {
      config: creating,
      schema: {
        tags: ['admin'],
        summary: 'Create a department (system_admin)',
        security,
        body: Type.Object(
          {
            code: Code,
            name: Type.Object(
              {
                zh: SafeText({ maxLength: 100 }),
                en: SafeText({ maxLength: 200 }),
              },
              { additionalProperties: false },
            ),
          },
          { additionalProperties: false },
        ),
        response: { 201: Department },
      },
    },
    async (request, reply) => {
      const row = await createDepartment({
        ctx: requestContext(request, ctx),
        input: request.body,
      });
      return reply.code(201).send(toDepartment(row));
    },
  );

  app.put(
    '/v1/departments/:code/attribute-policy',
    {
      config: staffOnly,
      schema: {
        tags: ['admin'],
        summary: "Which resident attributes this department's verifiers see (system_admin)",
        security,
        params: Type.Object({ code: Code }),
        body: Type.Object(
          { attributes: Type.Array(Type.Enum([...ATTRIBUTES]), { maxItems: ATTRIBUTES.length }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ department: Type.String(), attributes: Type.Array(Type.String()) }),
        },
      },
    },
    (request) =>
      setAttributePolicy({
        ctx: requestContext(request, ctx),
        input: { department: request.params.code, attributes: request.body.attributes },
      }),
  );

  app.post(
    '/v1/staff',
    {
      config: creating,
      schema: {
        tags: ['admin'],
        summary: 'Create a staff account (system_admin, or department_admin for their department)',
        security,
        body: Type.Object(
          {
            username: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{2,63}$' }),
            displayName: SafeText({ maxLength: 100 }),
            department: Code,
            roles: Type.Array(Type.Enum([...STAFF_ROLES]), {
              minItems: 1,
              maxItems: STAFF_ROLES.length,
            }),
            password: SafeText({ minLength: 12, maxLength: 256 }),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            id: Type.String(),
            username: Type.String(),
            displayName: Type.String(),
            department: Type.String(),
            roles: Type.Array(Type.String()),
          }),
        },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await createStaff({ ctx: requestContext(request, ctx), input: request.body })),
  );

  app.post(
    '/v1/clients',
    {
      config: creating,
      schema: {
        tags: ['admin'],
        summary: 'Register a department system for client credentials; the secret is shown once',
        security,
        body: Type.Object(
          {
            clientId: Type.String({ pattern: '^[a-z][a-z0-9_-]{2,63}$' }),
            name: SafeText({ maxLength: 200 }),
            department: Code,
            scopes: Type.Array(Type.Enum([...CLIENT_SCOPES]), {
              minItems: 1,
              maxItems: CLIENT_SCOPES.length,
            }),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            clientId: Type.String(),
            name: Type.String(),
            department: Type.String(),
            scopes: Type.Array(Type.String()),
            clientSecret: Type.String(),
          }),
        },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return reply
        .code(201)
        .send(await createClient({ ctx: requestContext(request, ctx), input: request.body }));
    },
  );
}
