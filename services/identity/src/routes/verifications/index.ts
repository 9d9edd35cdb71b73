import { SafeText, type ServiceInstance } from '@tongban/service-kit';
import { Type } from 'typebox';
import type { IdentityContext } from '../../domain/context.js';
import { ID_DOCUMENT_TYPES } from '../../domain/residents/id-document.js';
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
}
