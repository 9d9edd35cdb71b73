import { RESIDENT_ERRORS } from '@tongban/dpop';
import type { SigningKeyStore } from '@tongban/keys';
import type { ServiceInstance } from '@tongban/service-kit';
import {
  getCheckpoint,
  getConsistencyProof,
  getLatestCheckpoint,
} from '../../domain/access-log/checkpoints.js';
import { getKeyHistory } from '../../domain/access-log/key-history.js';
import {
  listDepartmentAccessLog,
  listMyAccessLog,
} from '../../domain/access-log/list-access-log.js';
import { type RecordsDeps, requestContext } from '../context.js';
import { boundProofHeaders } from '../dpop-header.js';
import {
  AccessLogPage,
  AccessLogQuery,
  Checkpoint,
  ConsistencyProof,
  ConsistencyQuery,
  KeyHistory,
  TreeSizeParams,
} from './schemas.js';

export interface AccessLogDeps extends RecordsDeps {
  readonly keys: SigningKeyStore;
}

const security = [{ bearerAuth: [] }];
// A checkpoint or a proof between two checkpoints never changes; the latest head and the key
// history do, and a withdrawn key must not linger in a cache longer than it does in the JWKS.
const IMMUTABLE = 'public, max-age=31536000, immutable';
const SHORT = 'public, max-age=10';
const treeSizeErrors = { public: true, errors: ['tree_size_unavailable'] } as const;

/**
 * The access log: the department auditor's and the resident's lists (each entry with its
 * inclusion proof), and the public, entry-free side — signed heads, consistency proofs, key
 * history — that lets anyone check the log is append-only.
 */

export function accessLogRoutes(app: ServiceInstance, deps: AccessLogDeps): void {
  app.get(
    '/v1/access-log',
    {
      config: { auth: { kinds: ['staff'], scopes: ['access-log:read'] } },
      schema: {
        tags: ['access-log'],
        summary:
          'Reads made by your department, each with its inclusion proof against the latest signed head (access-log:read)',
        security,
        querystring: AccessLogQuery,
        response: { 200: AccessLogPage },
      },
    },
    (request) =>
      listDepartmentAccessLog({ ctx: requestContext(request, deps), input: request.query }),
  );

  app.get(
    '/v1/me/access-log',
    {
      config: { auth: { kinds: ['resident'] }, errors: [...RESIDENT_ERRORS] },
      schema: {
        tags: ['access-log'],
        summary:
          'Every read of your data and every refusal, each with its inclusion proof against the latest signed head',
        security,
        headers: boundProofHeaders,
        querystring: AccessLogQuery,
        response: { 200: AccessLogPage },
      },
    },
    (request) => listMyAccessLog({ ctx: requestContext(request, deps), input: request.query }),
  );

  app.get(
    '/v1/access-log/checkpoints/latest',
    {
      config: treeSizeErrors,
      schema: {
        tags: ['access-log'],
        summary: 'The latest signed tree head of the access log (hashes only, no entries)',
        response: { 200: Checkpoint },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', SHORT);
      return getLatestCheckpoint({ ctx: requestContext(request, deps, { anonymous: true }) });
    },
  );

  app.get(
    '/v1/access-log/checkpoints/:treeSize',
    {
      config: treeSizeErrors,
      schema: {
        tags: ['access-log'],
        summary: 'The signed tree head of one size',
        params: TreeSizeParams,
        response: { 200: Checkpoint },
      },
    },
    async (request, reply) => {
      const checkpoint = await getCheckpoint({
        ctx: requestContext(request, deps, { anonymous: true }),
        input: request.params,
      });
      reply.header('cache-control', IMMUTABLE);
      return checkpoint;
    },
  );

  app.get(
    '/v1/access-log/consistency',
    {
      config: treeSizeErrors,
      schema: {
        tags: ['access-log'],
        summary:
          'Consistency proof (RFC 9162) between two signed sizes: the newer tree extends the older',
        querystring: ConsistencyQuery,
        response: { 200: ConsistencyProof },
      },
    },
    async (request, reply) => {
      const proof = await getConsistencyProof({
        ctx: requestContext(request, deps, { anonymous: true }),
        input: request.query,
      });
      reply.header('cache-control', IMMUTABLE);
      return proof;
    },
  );

  app.get(
    '/v1/access-log/keys',
    {
      config: { public: true },
      schema: {
        tags: ['access-log'],
        summary:
          'Every public key records has signed with, with when it signed: verifies heads of any age',
        response: { 200: KeyHistory },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', SHORT);
      return getKeyHistory({ keys: deps.keys });
    },
  );
}
