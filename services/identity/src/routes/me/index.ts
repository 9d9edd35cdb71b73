import { ListQuery, listOf, type ServiceInstance } from '@tongban/service-kit';
import { Type } from 'typebox';
import type { IdentityContext } from '../../domain/context.js';
import { listMyEvents } from '../../domain/events/list-my-events.js';
import { listMyVerifications } from '../../domain/verifications/list-my-verifications.js';
import { requestContext } from '../context.js';
import { boundProofHeaders } from '../dpop-header.js';
import { RESIDENT_ERRORS } from '../resident-proof.js';

const Verification = Type.Object({
  id: Type.String(),
  method: Type.Union([Type.Literal('presentation'), Type.Literal('in_person')], {
    description: 'A scanned QR code, or an ID card checked by a clerk at a counter',
  }),
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

const Localised = Type.Object({ zh: Type.String(), en: Type.String() });
const AccountEvent = Type.Object({
  id: Type.String(),
  type: Type.Union([
    Type.Literal('resident.enrolled'),
    Type.Literal('activation_code.issued'),
    Type.Literal('device.activated'),
    Type.Literal('device.revoked'),
  ]),
  occurredAt: Type.String({ format: 'date-time' }),
  by: Type.Union([Type.Literal('counter'), Type.Literal('resident')]),
  department: Type.Union([Type.Object({ code: Type.String(), name: Localised }), Type.Null()]),
  summary: Localised,
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
        headers: boundProofHeaders,
        querystring: ListQuery,
        response: { 200: listOf(Verification) },
      },
    },
    (request) => listMyVerifications({ ctx: requestContext(request, ctx), input: request.query }),
  );

  app.get(
    '/v1/me/events',
    {
      config: { auth: { kinds: ['resident'] }, errors: [...RESIDENT_ERRORS] },
      schema: {
        tags: ['me'],
        summary:
          'What happened to my account: enrolment, new activation codes, devices activated and revoked, and where',
        security: [{ bearerAuth: [] }],
        headers: boundProofHeaders,
        querystring: ListQuery,
        response: { 200: listOf(AccountEvent) },
      },
    },
    (request) => listMyEvents({ ctx: requestContext(request, ctx), input: request.query }),
  );
}
