import { SafeText, type ServiceInstance } from '@tongban/service-kit';
import { MAX_PRESENTATION_TOKEN_LENGTH } from '@tongban/tokens';
import { Type } from 'typebox';
import type { IdentityContext } from '../../domain/context.js';
import { issuePresentation } from '../../domain/presentations/issue-presentation.js';
import {
  presentationQr,
  QR_RATE_LIMIT_PER_MINUTE,
} from '../../domain/presentations/presentation-qr.js';
import { ATTRIBUTES, verifyPresentation } from '../../domain/presentations/verify-presentation.js';
import { requestContext } from '../context.js';
import { boundProofHeaders } from '../dpop-header.js';
import { RESIDENT_ERRORS, residentDeviceOf } from '../resident-proof.js';

// Bounded above the 2 KB the token parser reads, so an oversized token still gets the parser's
// malformed_token rather than a schema error; the QR route takes only the real size.
const Token = SafeText({ maxLength: 4096 });
const QrToken = Type.String({
  maxLength: MAX_PRESENTATION_TOKEN_LENGTH,
  pattern: '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$',
  description: 'A presentation token (compact JWS) issued by this service and not expired',
});

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
        headers: boundProofHeaders,
        body: Type.Object(
          {
            subjectId: Type.Optional(
              Type.String({
                pattern: '^[A-Za-z0-9_-]{1,64}$',
                description: 'If sent, must be your own',
              }),
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
          { token: Token, counter: Type.Optional(SafeText({ maxLength: 100 })) },
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
        // Anonymous: it renders only a live token this service issued (presentation-qr.ts), and
        // at most QR_RATE_LIMIT_PER_MINUTE images per address, so rendering cannot be farmed.
        config: {
          public: true,
          rateLimit: { max: QR_RATE_LIMIT_PER_MINUTE, timeWindow: 60_000 },
          errors: [
            'malformed_token',
            'signature_invalid',
            'unknown_key',
            'presentation_expired',
            'presentation_not_yet_valid',
          ],
        },
        schema: {
          tags: ['presentations'],
          summary: `The presentation token as a QR code (${format.toUpperCase()}, ECC M)`,
          description: `Only a token this service issued and that has not expired is rendered; ${QR_RATE_LIMIT_PER_MINUTE} images a minute per address.`,
          params: Type.Object({ token: QrToken }),
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
