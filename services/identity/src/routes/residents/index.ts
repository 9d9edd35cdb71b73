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
import {
  listResidentDevices,
  revokeResidentDevice,
} from '../../domain/devices/resident-devices.js';
import { enrolResident } from '../../domain/residents/enrol-resident.js';
import { lookupResident } from '../../domain/residents/find-resident.js';
import { ID_DOCUMENT_TYPES } from '../../domain/residents/id-document.js';
import { issueActivationCode } from '../../domain/residents/issue-activation-code.js';
import { requestContext } from '../context.js';
import { Device } from '../devices/schemas.js';

const Activation = Type.Object({
  code: Type.String(),
  expiresAt: Type.String({ format: 'date-time' }),
  qrText: Type.String(),
  qrSvg: Type.String(),
  qrPng: Type.String({ description: 'data: URL' }),
});
// Subject ids are 96 random bits in base64url (16 characters).
const SubjectParams = Type.Object({
  subjectId: Type.String({ pattern: '^[A-Za-z0-9_-]{16}$' }),
});
const counterClerk = { kinds: ['staff'] as const, roles: ['counter_clerk'] };
const security = [{ bearerAuth: [] }];

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

  app.post(
    '/v1/residents/lookup',
    {
      config: { auth: counterClerk },
      schema: {
        tags: ['residents'],
        summary: 'Find an enrolled resident by the ID card in front of you (counter_clerk)',
        description:
          'The number is matched by its keyed hash and never stored or logged; a POST keeps it out of URLs and access logs. Unknown → 404, nothing more.',
        security,
        body: Type.Object(
          {
            idDocumentType: Type.Enum([...ID_DOCUMENT_TYPES]),
            idNumber: Type.String({ minLength: 5, maxLength: 40, pattern: '^[A-Za-z0-9 -]+$' }),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            subjectId: Type.String(),
            idDocumentType: Type.String(),
            idNumberMasked: Type.String(),
          }),
        },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return lookupResident({ ctx: requestContext(request, ctx), input: request.body });
    },
  );

  app.post(
    '/v1/residents/:subjectId/activation-codes',
    {
      config: { auth: counterClerk },
      schema: {
        tags: ['residents'],
        summary:
          'A new one-time activation code for an enrolled resident, after checking them in person (counter_clerk)',
        description:
          'The way back after a lost or revoked phone. Earlier unused codes of the resident stop working. The code is returned once (a retry with the same Idempotency-Key gets it again) and kept only as a hash.',
        security,
        params: SubjectParams,
        headers: IdempotencyKeyHeaders,
        response: {
          201: Type.Object({ subjectId: Type.String(), activation: Activation }),
        },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const { actor } = requestContext(request, ctx);
      const scope = `${actor.kind}:${actor.subject}`;
      const key = idempotencyKeyFrom(request);
      // Sealed like enrolment's: the stored response carries a live activation code.
      const aad = `${scope}|${key ?? ''}`;
      const result = await runIdempotent({
        db: ctx.db,
        table: idempotencyKeys,
        scope,
        key,
        method: request.method,
        path: request.url,
        body: request.body ?? {},
        now: ctx.clock(),
        run: async (tx) => {
          const issued = await issueActivationCode({
            ctx: requestContext(request, ctx, { db: tx }),
            input: { subjectId: request.params.subjectId },
          });
          return {
            status: 201,
            body: { sealed: seal(ctx.secrets.responseSealKey, JSON.stringify(issued), aad) },
          };
        },
      });
      const body = JSON.parse(
        open(ctx.secrets.responseSealKey, result.body.sealed, aad).toString('utf8'),
      );
      return replyIdempotent(reply, { ...result, body });
    },
  );

  app.get(
    '/v1/residents/:subjectId/devices',
    {
      config: { auth: counterClerk },
      schema: {
        tags: ['residents'],
        summary: "A resident's devices, for the counter (counter_clerk)",
        security,
        params: SubjectParams,
        response: { 200: Type.Object({ items: Type.Array(Device), nextCursor: Type.Null() }) },
      },
    },
    (request) =>
      listResidentDevices({
        ctx: requestContext(request, ctx),
        input: { subjectId: request.params.subjectId },
      }),
  );

  app.post(
    '/v1/residents/:subjectId/devices/:deviceId/revoke',
    {
      config: { auth: counterClerk },
      schema: {
        tags: ['residents'],
        summary:
          "Revoke a resident's device at the counter, with a reason (counter_clerk); its tokens stop working at once",
        security,
        params: Type.Object({
          subjectId: SubjectParams.properties.subjectId,
          deviceId: Type.String({ format: 'uuid' }),
        }),
        body: Type.Object(
          {
            reason: SafeText({ minLength: 3, maxLength: 500, multiline: true }),
          },
          { additionalProperties: false },
        ),
        response: { 200: Device },
      },
    },
    (request) =>
      revokeResidentDevice({
        ctx: requestContext(request, ctx),
        input: {
          subjectId: request.params.subjectId,
          deviceId: request.params.deviceId,
          reason: request.body.reason,
        },
      }),
  );
}
