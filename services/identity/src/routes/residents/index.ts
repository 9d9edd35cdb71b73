import { open, seal } from '@tongban/keys';
import {
  IdempotencyKeyHeaders,
  idempotencyKeyFrom,
  replyIdempotent,
  runIdempotent,
  SafeText,
  type ServiceInstance,
} from '@tongban/service-kit';
import { Type } from 'typebox';
import { idempotencyKeys } from '../../db/schema.js';
import type { IdentityContext } from '../../domain/context.js';
import { enrolResident } from '../../domain/residents/enrol-resident.js';
import { ID_DOCUMENT_TYPES } from '../../domain/residents/id-document.js';
import { requestContext } from '../context.js';

export function residentRoutes(app: ServiceInstance, ctx: IdentityContext) {
  app.post(
    '/v1/residents',
    {
      config: {
        auth: { kinds: ['staff'], roles: ['counter_clerk'] },
        errors: ['already_enrolled'],
      },
      schema: {
        tags: ['residents'],
        summary: 'Enrol a resident after in-person proofing (counter_clerk)',
        description:
          'Returns the pseudonymous subject id, the credential and a one-time activation code (24 h) with its QR for printing. The ID number is kept only as a keyed hash and ciphertext.',
        security: [{ bearerAuth: [] }],
        headers: IdempotencyKeyHeaders,
        body: Type.Object(
          {
            fullName: SafeText({ maxLength: 100 }),
            birthDate: Type.String({ format: 'date' }),
            phone: Type.String({ pattern: '^\\+?[0-9]{6,20}$' }),
            idDocument: Type.Object(
              {
                type: Type.Enum([...ID_DOCUMENT_TYPES]),
                number: SafeText({ minLength: 5, maxLength: 40 }),
              },
              { additionalProperties: false },
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            subjectId: Type.String(),
            credential: Type.Object({
              id: Type.String(),
              statusIndex: Type.Integer(),
              status: Type.String(),
            }),
            activation: Type.Object({
              code: Type.String(),
              expiresAt: Type.String({ format: 'date-time' }),
              qrText: Type.String(),
              qrSvg: Type.String(),
              qrPng: Type.String({ description: 'data: URL' }),
            }),
          }),
        },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const { actor } = requestContext(request, ctx);
      const scope = `${actor.kind}:${actor.subject}`;
      const key = idempotencyKeyFrom(request);
      // A counter's retry after a dropped connection gets the same resident and activation code
      // back instead of 409 already_enrolled with the code lost. The stored response is sealed:
      // activation codes are otherwise kept only as hashes.
      const aad = `${scope}|${key ?? ''}`;
      const result = await runIdempotent({
        db: ctx.db,
        table: idempotencyKeys,
        scope,
        key,
        method: request.method,
        path: request.url,
        body: request.body,
        now: ctx.clock(),
        run: async (tx) => {
          const enrolled = await enrolResident({
            ctx: requestContext(request, ctx, { db: tx }),
            input: request.body,
          });
          return {
            status: 201,
            body: { sealed: seal(ctx.secrets.responseSealKey, JSON.stringify(enrolled), aad) },
          };
        },
      });
      const body = JSON.parse(
        open(ctx.secrets.responseSealKey, result.body.sealed, aad).toString('utf8'),
      );
      return replyIdempotent(reply, { ...result, body });
    },
  );
}
