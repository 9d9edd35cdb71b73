import type { Db } from '@tongban/db';
import { ListQuery, type ServiceInstance } from '@tongban/service-kit';
import { listRecordTypes } from '../../domain/record-types/list-record-types.js';
import { RecordTypeList } from './schemas.js';

export function recordTypeRoutes(app: ServiceInstance, { db }: { db: Db }) {
  app.get(
    '/v1/record-types',
    {
      schema: {
        tags: ['record-types'],
        summary: 'The kinds of certified record departments issue',
        querystring: ListQuery,
        response: { 200: RecordTypeList },
      },
    },
    (request) => listRecordTypes({ ctx: { db }, input: request.query }),
  );
}
