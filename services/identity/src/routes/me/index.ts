import { ListQuery, listOf, type ServiceInstance } from '@tongban/service-kit';
import { Type } from 'typebox';
import type { IdentityContext } from '../../domain/context.js';
import { listMyVerifications } from '../../domain/verifications/list-my-verifications.js';
import { requestContext } from '../context.js';
import { RESIDENT_ERRORS } from '../resident-proof.js';

const Verification = Type.Object({
  id: Type.String(),
  verifiedAt: Type.String({ format: 'date-time' }),
  verifier: Type.Object({
    kind: Type.Union([Type.Literal('staff'), Type.Literal('client')]),
    department: Type.Object({
      code: Type.String(),
      name: Type.Object({ zh: Type.String(), en: Type.String() }),
    }),
  }),
  counter: Type.Union([Type.String(), Type.Null()]),
});

export function meRoutes(app: ServiceInstance, ctx: IdentityContext) {
  app.get(
    '/v1/me/verifications',
    {
      config: { auth: { kinds: ['resident'] }, errors: [...RESIDENT_ERRORS] },
      schema: {
        tags: ['me'],
        summary: 'Who verified my identity, when and where',
        security: [{ bearerAuth: [] }],
        querystring: ListQuery,
        response: { 200: listOf(Verification) },
      },
    },
    (request) => listMyVerifications({ ctx: requestContext(request, ctx), input: request.query }),
  );
}
