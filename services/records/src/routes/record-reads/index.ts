import { RESIDENT_ERRORS } from '@tongban/dpop';
import type { SigningKeyStore } from '@tongban/keys';
import { etagOf, type ServiceInstance } from '@tongban/service-kit';
import type { FastifyReply } from 'fastify';
import { listRecords } from '../../domain/access/list-records.js';
import { readRecord } from '../../domain/access/read-record.js';
import { readRecordHistory } from '../../domain/access/read-record-history.js';
import type { ReadContext } from '../../domain/access/read-support.js';
import type { CaseGrantVerifier } from '../../domain/case-grants/verify-case-grant.js';
import { certifyRecord } from '../../domain/certificates/certify-record.js';
import type { RecordsErrorCode } from '../../errors.js';
import { type RecordsDeps, requestContext } from '../context.js';
import {
  CaseGrantHeaders,
  ListRecordsQuery,
  ReadRecordQuery,
  RecordCertificate,
  RecordHistoryQuery,
  RecordIdParams,
  ReleasedRecord,
  ReleasedRecordList,
} from './schemas.js';

export interface RecordReadDeps extends RecordsDeps {
  /** Checks `Case-Grant` headers against workflow's keys (one JWKS cache for the service). */
  readonly caseGrants: CaseGrantVerifier;
  /** Records' own signing keys: certified copies. */
  readonly keys: Pick<SigningKeyStore, 'sign'>;
}

// Departments read with `records:read` (their own records also with `records:write`); residents
// read their own with purpose `self`. decideAccess checks the rest, per record.
const readers = { kinds: ['staff', 'client', 'resident'] as const };

const READ_ERRORS: readonly RecordsErrorCode[] = [
  ...RESIDENT_ERRORS,
  'purpose_not_allowed',
  'consent_required',
  'case_grant_required',
  'case_grant_invalid',
  'case_grant_expired',
  'access_log_unavailable',
];

// A release is for one caller and one purpose, and written to the access log once: no cache
// may keep it and hand it to anyone else.
const uncached = (reply: FastifyReply) => reply.header('cache-control', 'no-store');

/**
 * The read path (ADR 0013): every read names a purpose, releases only the fields the decision
 * allows, and is written to the access log in the transaction that reads the data.
 */
export function recordReadRoutes(app: ServiceInstance, deps: RecordReadDeps) {
  const readContext = (request: Parameters<typeof requestContext>[0]): ReadContext => ({
    ...requestContext(request, deps),
    caseGrants: deps.caseGrants,
  });

  app.get(
    '/v1/records',
    {
      config: { auth: readers, errors: [...READ_ERRORS] },
      schema: {
        tags: ['records'],
        summary: "A subject's current records of one type, for a stated purpose",
        description:
          'Only the fields your purpose allows are returned. Each record returned is written to the access log, where the resident sees it. Revoked records are listed only with `includeRevoked=true`.',
        security: [{ bearerAuth: [] }],
        headers: CaseGrantHeaders,
        querystring: ListRecordsQuery,
        response: { 200: ReleasedRecordList },
      },
    },
    (request, reply) => {
      uncached(reply);
      return listRecords({
        ctx: readContext(request),
        input: { ...request.query, caseGrant: request.headers['case-grant'] },
      });
    },
  );

  app.get(
    '/v1/records/:id',
    {
      config: { auth: readers, errors: [...READ_ERRORS, 'record_revoked'] },
      schema: {
        tags: ['records'],
        summary: 'Read a record (or an older version of it) for a stated purpose',
        description:
          'Only the fields your purpose allows are returned; the read is written to the access log. A revoked record answers 410 `record_revoked`; its history stays readable.',
        security: [{ bearerAuth: [] }],
        headers: CaseGrantHeaders,
        params: RecordIdParams,
        querystring: ReadRecordQuery,
        response: { 200: ReleasedRecord },
      },
    },
    async (request, reply) => {
      uncached(reply);
      const { record } = await readRecord({
        ctx: readContext(request),
        input: {
          recordId: request.params.id,
          purpose: request.query.purpose,
          version: request.query.version,
          caseGrant: request.headers['case-grant'],
        },
      });
      // The current version's tag, for the issuer's `PUT` with If-Match; an older version has none.
      if (request.query.version === undefined) reply.header('etag', etagOf(record));
      return record;
    },
  );

  app.get(
    '/v1/records/:id/versions',
    {
      config: { auth: readers, errors: [...READ_ERRORS] },
      schema: {
        tags: ['records'],
        summary: "A record's versions, newest first, for a stated purpose",
        description:
          'The same decision as a read of the record; each version returned is written to the access log. Readable after revocation.',
        security: [{ bearerAuth: [] }],
        headers: CaseGrantHeaders,
        params: RecordIdParams,
        querystring: RecordHistoryQuery,
        response: { 200: ReleasedRecordList },
      },
    },
    (request, reply) => {
      uncached(reply);
      return readRecordHistory({
        ctx: readContext(request),
        input: {
          recordId: request.params.id,
          purpose: request.query.purpose,
          limit: request.query.limit,
          cursor: request.query.cursor,
          caseGrant: request.headers['case-grant'],
        },
      });
    },
  );

  app.get(
    '/v1/records/:id/certificate',
    {
      config: {
        auth: { kinds: ['staff', 'client'] },
        errors: [...READ_ERRORS, 'record_revoked'],
      },
      schema: {
        tags: ['records'],
        summary: 'A certified copy of a record for a stated purpose (electronic annotated copy)',
        description: [
          'The same decision and access-log entry as `GET /v1/records/{id}`, and a compact JWS (`typ: tb-record+jwt`, EdDSA, records’ key from `/.well-known/jwks.json`) stating exactly the fields released, the record version and its digest, the issuing and the recipient department, the purpose and case, valid 24 hours.',
          'A receiving office archives it and anyone verifies it offline with the JWKS (`npm run tokens -- verify-record <file> --jwks <file>`). A revoked record gets no certificate (410 `record_revoked`).',
        ].join('\n\n'),
        security: [{ bearerAuth: [] }],
        headers: CaseGrantHeaders,
        params: RecordIdParams,
        querystring: ReadRecordQuery,
        response: { 200: RecordCertificate },
      },
    },
    async (request, reply) => {
      uncached(reply);
      const issued = await certifyRecord({
        ctx: readContext(request),
        keys: deps.keys,
        input: {
          recordId: request.params.id,
          purpose: request.query.purpose,
          version: request.query.version,
          caseGrant: request.headers['case-grant'],
        },
      });
      return {
        certificate: issued.token,
        recordId: issued.recordId,
        version: issued.version,
        issuedAt: issued.issuedAt.toISOString(),
        expiresAt: issued.expiresAt.toISOString(),
      };
    },
  );
}
