import type { ServiceInstance } from '@tongban/service-kit';
import { Type } from 'typebox';
import type { IdentityContext } from '../../domain/context.js';
import { issuePresentation } from '../../domain/presentations/issue-presentation.js';
import { presentationQr } from '../../domain/presentations/presentation-qr.js';
import { ATTRIBUTES, verifyPresentation } from '../../domain/presentations/verify-presentation.js';
import { requestContext } from '../context.js';
import { RESIDENT_ERRORS, residentDeviceOf } from '../resident-proof.js';

const Token = Type.String({ minLength: 1, maxLength: 4096 });

export function presentationRoutes(app: ServiceInstance, ctx: IdentityContext) {
  app.post(
    '/v1/presentations',
    {
      config: {
        auth: { kinds: ['resident'] },
        errors: [...RESIDENT_ERRORS, 'credential_revoked', 'credential_suspended', 'not_found'],
      },
      schema: {
        tags: ['presentations'],
        summary:
          'A fresh presentation token (60 s, single use) for the QR code on the resident’s phone',
        description:
          'Authorization: DPoP <resident token>, plus a DPoP proof signed by the device key and bound to that token (ath).',
        security: [{ bearerAuth: [] }],
        headers: Type.Object({ dpop: Type.Optional(Type.String({ maxLength: 4096 })) }),
        body: Type.Object(
          {
            subjectId: Type.Optional(
              Type.String({ maxLength: 64, description: 'If sent, must be your own' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            token: Type.String(),
            expiresAt: Type.String({ format: 'date-time' }),
          }),
        },
      },
    },
    async (request, reply) => {
      const result = await issuePresentation({
        ctx: requestContext(request, ctx),
        input: {
          device: residentDeviceOf(request),
          ...(request.body.subjectId === undefined ? {} : { subjectId: request.body.subjectId }),
        },
      });
      reply.header('cache-control', 'no-store');
      return reply.code(201).send(result);
    },
  );

  app.post(
    '/v1/presentations/verify',
    {
      config: {
        auth: { kinds: ['staff', 'client'] },
        errors: [
          'malformed_token',
          'signature_invalid',
          'unknown_key',
          'presentation_expired',
          'presentation_not_yet_valid',
          'presentation_replayed',
          'credential_revoked',
          'credential_suspended',
          'device_revoked',
        ],
      },
      schema: {
        tags: ['presentations'],
        summary:
          'Verify a scanned presentation (counter_clerk, or a client with presentations:verify); consumes it',
        security: [{ bearerAuth: [] }],
        body: Type.Object(
          { token: Token, counter: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            verificationId: Type.String(),
            verifiedAt: Type.String({ format: 'date-time' }),
            subjectId: Type.String(),
            credentialId: Type.String(),
            expiresAt: Type.String({ format: 'date-time' }),
            attributes: Type.Partial(
              Type.Object(Object.fromEntries(ATTRIBUTES.map((a) => [a, Type.String()]))),
            ),
          }),
        },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return verifyPresentation({ ctx: requestContext(request, ctx), input: request.body });
    },
  );

  // For print and for clients that cannot render QR codes themselves (see qr.ts).
  for (const format of ['svg', 'png'] as const) {
    app.get(
      `/v1/presentations/:token/qr.${format}`,
      {
        // Renders only what the caller already holds (a token), for print; rate limited.
        config: { public: true },
        schema: {
          tags: ['presentations'],
          summary: `The presentation token as a QR code (${format.toUpperCase()}, ECC M)`,
          params: Type.Object({ token: Token }),
        },
      },
      async (request, reply) => {
        const image = await presentationQr({
          ctx: requestContext(request, ctx, { anonymous: true }),
          input: { token: request.params.token, format },
        });
        return reply
          .header('cache-control', 'no-store')
          .type(format === 'svg' ? 'image/svg+xml' : 'image/png')
          .send(image);
      },
    );
  }
}
