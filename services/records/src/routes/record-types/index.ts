import {
  IdempotencyKeyHeaders,
  ListQuery,
  respondIdempotently,
  SafeText,
  type ServiceInstance,
} from '@tongban/service-kit';
import { Type } from 'typebox';
import { idempotencyKeys } from '../../db/schema.js';
import { createRecordType } from '../../domain/record-types/create-record-type.js';
import { getRecordType } from '../../domain/record-types/get-record-type.js';
import { listRecordTypes } from '../../domain/record-types/list-record-types.js';
import { type RecordsDeps, requestContext } from '../context.js';
import { ClassificationMap, RecordType, RecordTypeList } from './schemas.js';

const Code = Type.String({ pattern: '^[a-z][a-z0-9_]{1,63}$' });

export function recordTypeRoutes(app: ServiceInstance, ctx: RecordsDeps) {
  app.get(
    '/v1/record-types',
    {
      // What kinds of record exist (codes, names, field schemas) is public; records are not.
      config: { public: true },
      schema: {
        tags: ['record-types'],
        summary: 'The kinds of certified record departments issue',
        querystring: ListQuery,
        response: { 200: RecordTypeList },
      },
    },
    (request) =>
      listRecordTypes({
        ctx: requestContext(request, ctx, { anonymous: true }),
        input: request.query,
      }),
  );

  app.get(
    '/v1/record-types/:code',
    {
      // Public like the list: a type's fields and classification say what may be asked for.
      config: { public: true },
      schema: {
        tags: ['record-types'],
        summary: 'One record type: names, field schema and classification',
        params: Type.Object({ code: Code }),
        response: { 200: RecordType },
      },
    },
    (request) =>
      getRecordType({
        ctx: requestContext(request, ctx, { anonymous: true }),
        input: { code: request.params.code },
      }),
  );

  app.post(
    '/v1/record-types',
    {
      config: {
        auth: { kinds: ['staff'], roles: ['department_admin', 'system_admin'] },
        errors: ['already_exists'],
      },
      schema: {
        tags: ['record-types'],
        summary: 'Declare a record type your department issues (department_admin)',
        security: [{ bearerAuth: [] }],
        headers: IdempotencyKeyHeaders,
        body: Type.Object(
          {
            code: Code,
            name: Type.Object(
              {
                zh: SafeText({ maxLength: 100 }),
                en: SafeText({ maxLength: 200 }),
              },
              { additionalProperties: false },
            ),
            issuerDepartment: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_]{1,39}$' })),
            fieldSchema: Type.Record(Type.String(), Type.Unknown(), {
              description: 'JSON Schema (object) of the record fields',
            }),
            classification: ClassificationMap,
          },
          { additionalProperties: false },
        ),
        response: { 201: RecordType },
      },
    },
    (request, reply) =>
      respondIdempotently(request, reply, {
        db: ctx.db,
        table: idempotencyKeys,
        now: ctx.clock(),
        run: async (tx) => ({
          status: 201,
          body: await createRecordType({
            ctx: requestContext(request, ctx, { db: tx }),
            input: request.body,
          }),
        }),
      }),
  );
}
