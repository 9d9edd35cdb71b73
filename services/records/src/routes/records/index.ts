import {
  IdempotencyKeyHeaders,
  parseIfMatch,
  requireIfMatch,
  respondIdempotently,
  SafeText,
  type ServiceInstance,
} from '@tongban/service-kit';
import { Type } from 'typebox';
import { idempotencyKeys } from '../../db/schema.js';
import { publishRecord } from '../../domain/records/publish-record.js';
import { revokeRecord } from '../../domain/records/revoke-record.js';
import { supersedeRecord } from '../../domain/records/supersede-record.js';
import { recordEtag } from '../../domain/records/to-record.js';
import { dataValidators } from '../../domain/records/validate-data.js';
import { type RecordsDeps, requestContext } from '../context.js';
import { CertifiedRecord, RecordData, RecordParams, RecordTypeCode, SubjectId } from './schemas.js';

// Department systems and staff of the issuing department; the verbs check the department.
const writers = { kinds: ['staff', 'client'] as const, scopes: ['records:write'] };
const security = [{ bearerAuth: [] }];
const IfMatchHeader = Type.Object({
  'if-match': Type.Optional(
    SafeText({ maxLength: 256, description: 'The ETag of the record as you last read it' }),
  ),
});

/** The write side of records: publish, new version, revoke (issuing department only). */
export function recordRoutes(app: ServiceInstance, deps: RecordsDeps) {
  // Compiled field-schema validators, per app (per database), bounded.
  const validators = dataValidators();
  const context = (request: Parameters<typeof requestContext>[0], db?: RecordsDeps['db']) => ({
    ...requestContext(request, deps, { db }),
    validators,
  });

  app.post(
    '/v1/records',
    {
      config: { auth: writers },
      schema: {
        tags: ['records'],
        summary: 'Publish a record of a type your department issues (records:write)',
        description:
          'Validates `data` against the type’s field schema, stores version 1 with its digest, and emits `record.published`. An unknown `type` is 400 on `body.type`; a type another department issues is 403.',
        security,
        headers: IdempotencyKeyHeaders,
        body: Type.Object(
          { type: RecordTypeCode, subjectId: SubjectId, data: RecordData },
          { additionalProperties: false },
        ),
        response: { 201: CertifiedRecord },
      },
    },
    (request, reply) =>
      respondIdempotently(request, reply, {
        db: deps.db,
        table: idempotencyKeys,
        now: deps.clock(),
        run: async (tx) => {
          const { head, record } = await publishRecord({
            ctx: context(request, tx),
            input: request.body,
          });
          return {
            status: 201,
            body: record,
            headers: { location: `/v1/records/${record.id}`, etag: recordEtag(head) },
          };
        },
      }),
  );

  app.put(
    '/v1/records/:id',
    {
      config: { auth: writers, errors: ['record_revoked'] },
      schema: {
        tags: ['records'],
        summary: 'Publish a new version of a record your department issued (records:write)',
        description:
          'Requires If-Match with the record’s ETag (428 without, 412 when stale). Appends version n+1; earlier versions stay unchanged. A revoked record takes no new version (410 `record_revoked`). Emits `record.superseded`.',
        security,
        params: RecordParams,
        headers: IfMatchHeader,
        body: Type.Object({ data: RecordData }, { additionalProperties: false }),
        response: { 200: CertifiedRecord },
      },
    },
    async (request, reply) => {
      const ifMatch = requireIfMatch(request);
      const { head, record } = await supersedeRecord({
        ctx: context(request),
        input: { id: request.params.id, data: request.body.data, ifMatch },
      });
      return reply.header('etag', recordEtag(head)).send(record);
    },
  );

  app.post(
    '/v1/records/:id/revoke',
    {
      config: { auth: writers, errors: ['conflict'] },
      schema: {
        tags: ['records'],
        summary: 'Revoke a record your department issued, with a reason (records:write)',
        description:
          'Final. If-Match is optional and honoured (412 when stale). Revoking a revoked record is 409 `conflict`: the first revocation stands. Emits `record.revoked`.',
        security,
        params: RecordParams,
        headers: IfMatchHeader,
        body: Type.Object(
          { reason: SafeText({ maxLength: 500, multiline: true }) },
          { additionalProperties: false },
        ),
        response: { 200: CertifiedRecord },
      },
    },
    async (request, reply) => {
      const { head, record } = await revokeRecord({
        ctx: context(request),
        input: {
          id: request.params.id,
          reason: request.body.reason,
          ifMatch: parseIfMatch(request.headers['if-match']),
        },
      });
      return reply.header('etag', recordEtag(head)).send(record);
    },
  );
}
