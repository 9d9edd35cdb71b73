import { SafeText, type ServiceInstance } from '@tongban/service-kit';
import { Type } from 'typebox';
import type { IdentityContext } from '../../domain/context.js';
import { ID_DOCUMENT_TYPES } from '../../domain/residents/id-document.js';
import {
  getVerification,
  READ_VERIFICATION_SCOPE,
} from '../../domain/verifications/get-verification.js';
import { verifyInPerson } from '../../domain/verifications/verify-in-person.js';
import { requestContext } from '../context.js';

export function verificationRoutes(app: ServiceInstance, ctx: IdentityContext) {
  app.post(
    '/v1/verifications/in-person',
    {
      config: {
        auth: { kinds: ['staff'], roles: ['counter_clerk'] },
        errors: ['credential_revoked', 'credential_suspended'],
      },
      schema: {
        tags: ['verifications'],
        summary:
          'Record that you checked a resident’s physical ID card at the counter (counter_clerk), for residents without a smartphone',
        description:
          'Gives a verification id of the same kind a scanned QR gives (method in_person); the resident sees it in GET /v1/me/verifications. The number is matched by its keyed hash and kept out of the audit event. Unknown document → 404.',
        security: [{ bearerAuth: [] }],
        body: Type.Object(
          {
            idDocumentType: Type.Enum([...ID_DOCUMENT_TYPES]),
            idNumber: Type.String({ minLength: 5, maxLength: 40, pattern: '^[A-Za-z0-9 -]+$' }),
            counter: SafeText({ maxLength: 100 }),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            verificationId: Type.String(),
            method: Type.Literal('in_person'),
            verifiedAt: Type.String({ format: 'date-time' }),
            subjectId: Type.String(),
            credentialId: Type.String(),
          }),
        },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const result = await verifyInPerson({
        ctx: requestContext(request, ctx),
        input: request.body,
      });
      return reply.code(201).send(result);
    },
  );

  app.get(
    '/v1/verifications/:id',
    {
      // The scope that makes verifications reads them back: counter clerks and counter systems,
      // who open a case on a verification they just made. cases:read would also let auditors,
      // administrators and case officers map verification ids to subjects, which none of them
      // needs.
      config: {
        auth: { kinds: ['staff', 'client'], scopes: [READ_VERIFICATION_SCOPE] },
        errors: ['not_found'],
      },
      schema: {
        tags: ['verifications'],
        summary: `A verification your department made (staff or client with ${READ_VERIFICATION_SCOPE})`,
        description:
          'Method, pseudonymous subject id, department and time of a presentation or in-person verification, with no personal data. Only the department that made it sees it: another department’s verification answers 404 exactly as an unknown id does.',
        security: [{ bearerAuth: [] }],
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: {
          200: Type.Object(
            {
              id: Type.String({ format: 'uuid' }),
              method: Type.Union([Type.Literal('presentation'), Type.Literal('in_person')]),
              subjectId: Type.String(),
              verifierDepartment: Type.String(),
              verifiedAt: Type.String({ format: 'date-time' }),
            },
            { additionalProperties: false },
          ),
        },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return getVerification({
        ctx: requestContext(request, ctx),
        input: { id: request.params.id },
      });
    },
  );
}
