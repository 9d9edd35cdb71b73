import { etagOf, parseIfMatch, SafeText, type ServiceInstance } from '@tongban/service-kit';
import { Type } from 'typebox';
import type { IdentityContext } from '../../domain/context.js';
import {
  changeCredentialStatus,
  getCredential,
  type StatusAction,
  toCredential,
} from '../../domain/credentials/change-status.js';
import { requestContext } from '../context.js';

const Credential = Type.Object({
  id: Type.String(),
  subjectId: Type.String(),
  statusIndex: Type.Integer(),
  status: Type.Union([Type.Literal('valid'), Type.Literal('revoked'), Type.Literal('suspended')]),
  version: Type.Integer(),
  issuedAt: Type.String({ format: 'date-time' }),
  statusChangedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  statusReason: Type.Union([Type.String(), Type.Null()]),
});
const Params = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }) });
const security = [{ bearerAuth: [] }];

export function credentialRoutes(app: ServiceInstance, ctx: IdentityContext) {
  app.get(
    '/v1/credentials/:id',
    {
      config: {
        auth: { kinds: ['staff'], roles: ['counter_clerk', 'department_admin', 'system_admin'] },
      },
      schema: {
        tags: ['credentials'],
        summary:
          'A credential and its status (counter_clerk or department_admin of the enrolling department, system_admin)',
        security,
        params: Params,
        response: { 200: Credential },
      },
    },
    async (request, reply) => {
      const row = await getCredential({
        ctx: requestContext(request, ctx),
        input: { id: request.params.id },
      });
      return reply.header('etag', etagOf(row)).send(toCredential(row));
    },
  );

  const actions: Record<StatusAction, string> = {
    revoke:
      'Revoke a credential for good (department_admin of the enrolling department, system_admin); verification fails at once',
    suspend:
      'Suspend a credential (department_admin of the enrolling department, system_admin); reversible',
    reinstate:
      'Reinstate a suspended credential (department_admin of the enrolling department, system_admin)',
  };
  for (const [action, summary] of Object.entries(actions) as [StatusAction, string][]) {
    app.post(
      `/v1/credentials/:id/${action}`,
      {
        config: {
          auth: { kinds: ['staff'], roles: ['department_admin', 'system_admin'] },
          errors: ['invalid_transition'],
        },
        schema: {
          tags: ['credentials'],
          summary,
          security,
          params: Params,
          headers: Type.Object({ 'if-match': Type.Optional(SafeText({ maxLength: 128 })) }),
          body: Type.Object(
            { reason: SafeText({ minLength: 3, maxLength: 500, multiline: true }) },
            { additionalProperties: false },
          ),
          response: { 200: Credential },
        },
      },
      async (request, reply) => {
        const row = await changeCredentialStatus({
          ctx: requestContext(request, ctx),
          input: {
            id: request.params.id,
            action,
            reason: request.body.reason,
            ifMatch: parseIfMatch(request.headers['if-match']),
          },
        });
        return reply.header('etag', etagOf(row)).send(toCredential(row));
      },
    );
  }
}
