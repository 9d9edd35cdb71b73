import { RESIDENT_ERRORS } from '@tongban/dpop';
import {
  IdempotencyKeyHeaders,
  ListQuery,
  respondIdempotently,
  type ServiceInstance,
} from '@tongban/service-kit';
import { Type } from 'typebox';
import { idempotencyKeys } from '../../db/schema.js';
import { grantConsent } from '../../domain/consents/grant-consent.js';
import { listConsents } from '../../domain/consents/list-consents.js';
import { revokeConsent } from '../../domain/consents/revoke-consent.js';
import { type RecordsDeps, requestContext } from '../context.js';
import { boundProofHeaders } from '../dpop-header.js';
import { Consent, ConsentList, ConsentParams, NewConsent } from './schemas.js';

// Residents only: the resident manages their own consents with their device-bound token, so the
// DPoP proof hook applies to every one of these routes.
const resident = { auth: { kinds: ['resident'] as const } };
const security = [{ bearerAuth: [] }];

export function consentRoutes(app: ServiceInstance, ctx: RecordsDeps) {
  app.get(
    '/v1/consents',
    {
      config: { ...resident, errors: [...RESIDENT_ERRORS] },
      schema: {
        tags: ['consents'],
        summary: 'My consents: which department may read which of my records, why and until when',
        security,
        headers: boundProofHeaders,
        querystring: ListQuery,
        response: { 200: ConsentList },
      },
    },
    (request) => listConsents({ ctx: requestContext(request, ctx), input: request.query }),
  );

  app.post(
    '/v1/consents',
    {
      config: { ...resident, errors: [...RESIDENT_ERRORS] },
      schema: {
        tags: ['consents'],
        summary: 'Let a department read one type of my records for one purpose, until a date',
        security,
        headers: Type.Object({
          ...IdempotencyKeyHeaders.properties,
          ...boundProofHeaders.properties,
        }),
        body: NewConsent,
        response: { 201: Consent },
      },
    },
    (request, reply) =>
      respondIdempotently(request, reply, {
        db: ctx.db,
        table: idempotencyKeys,
        now: ctx.clock(),
        run: async (tx) => {
          const consent = await grantConsent({
            ctx: requestContext(request, ctx, { db: tx }),
            input: request.body,
          });
          return {
            status: 201,
            body: consent,
            headers: { location: `/v1/consents/${consent.id}` },
          };
        },
      }),
  );

  app.delete(
    '/v1/consents/:id',
    {
      config: { ...resident, errors: [...RESIDENT_ERRORS, 'not_found'] },
      schema: {
        tags: ['consents'],
        summary:
          'Withdraw one of my consents (final; withdrawing it again answers the same consent)',
        description:
          'Answers 200 with the consent, now `revoked`. Idempotent: a consent already revoked is returned unchanged. A consent that is not yours is 404, as an unknown one is.',
        security,
        headers: boundProofHeaders,
        params: ConsentParams,
        response: { 200: Consent },
      },
    },
    (request) =>
      revokeConsent({ ctx: requestContext(request, ctx), input: { id: request.params.id } }),
  );
}
