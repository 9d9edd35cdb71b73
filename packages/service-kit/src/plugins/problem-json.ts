import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import {
  type ApiError,
  errors,
  isApiError,
  problem,
  type SharedErrorCode,
  sharedErrors,
} from '../errors.js';

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';
export const PROBLEM_CONTENT_TYPE = `${PROBLEM_MEDIA_TYPE}; charset=utf-8`;

interface FieldError {
  readonly field: string;
  readonly message: string;
}

/**
 * One place turns every failure into RFC 9457 problem+json with a stable `code` and the request
 * id. Client mistakes say what was wrong; server faults say nothing beyond "it failed" — the
 * stack, SQL and internal names stay in the log, keyed by the same request id.
 */
export const problemJson = fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler((error: FastifyError | ApiError, request, reply) => {
      const apiError = toApiError(error);
      if (apiError.status >= 500) {
        request.log.error({ err: error }, 'request failed');
      } else {
        request.log.info({ code: apiError.code, status: apiError.status }, 'request refused');
      }
      return sendProblem(request, reply, apiError);
    });

    app.setNotFoundHandler((request, reply) =>
      sendProblem(
        request,
        reply,
        errors.notFound(`No route for ${request.method} ${request.url.split('?')[0]}`),
      ),
    );
  },
  { name: 'tongban-problem-json' },
);

/** What sendProblem needs of a reply, so replies of plugins typed for any server fit too. */
export interface ProblemReply<Self> {
  header(name: string, value: string): unknown;
  code(statusCode: number): unknown;
  type(contentType: string): unknown;
  send(payload: string): Self;
}

export function sendProblem<Reply extends ProblemReply<Reply>>(
  request: Pick<FastifyRequest, 'url' | 'id'>,
  reply: Reply,
  error: ApiError,
): Reply {
  const path = request.url.split('?')[0] ?? '/';
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  reply.code(error.status);
  reply.type(PROBLEM_CONTENT_TYPE);
  return reply.send(
    JSON.stringify({
      type: `urn:tongban:problem:${error.code}`,
      title: error.title,
      status: error.status,
      ...(error.detail !== undefined && error.status < 500 ? { detail: error.detail } : {}),
      instance: path.length <= 512 ? path : `${path.slice(0, 512)}…`,
      ...error.extensions,
      code: error.code,
      requestId: request.id,
    }),
  );
}

/** Maps Fastify's and its plugins' errors onto the contract's codes; anything unknown is a 500. */
export function toApiError(error: unknown): ApiError {
  if (isApiError(error)) return error;
  const e = error as Partial<FastifyError> & { validation?: unknown[] };
  if (Array.isArray(e.validation)) {
    return errors.validationFailed('The request does not match the schema.', {
      errors: fieldErrors(e.validation, e.validationContext),
    });
  }
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return errors.payloadTooLarge('The request body is larger than this endpoint accepts.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return errors.unsupportedMediaType('Send the body as application/json.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return errors.malformedJson('The body is empty but the content type says JSON.');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return errors.malformedJson('The body is not valid JSON.');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return errors.badRequest('Content-Length does not match the body.');
    case 'FST_ERR_BAD_URL':
    case 'FST_ERR_ASYNC_CONSTRAINT':
      return errors.badRequest('The request URL is malformed.');
  }
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  // secure-json-parse reports bad JSON as a SyntaxError that Fastify tags with status 400.
  if (status === 400 && e.name === 'SyntaxError') {
    return errors.malformedJson('The body is not valid JSON.');
  }
  if (status === 429) return errors.rateLimited('Too many requests; slow down and retry later.');
  if (status >= 400 && status < 500) {
    const code = genericCode(status);
    return problem(code, sharedErrors.entries[code].title);
  }
  return errors.internal();
}

// A plugin's 4xx without a code of ours; one the catalogue cannot name is reported as a bad request.
function genericCode(status: number): SharedErrorCode {
  switch (status) {
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 405:
      return 'method_not_allowed';
    case 406:
      return 'not_acceptable';
    case 413:
      return 'payload_too_large';
    case 415:
      return 'unsupported_media_type';
    default:
      return 'bad_request';
  }
}

interface AjvError {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

function fieldErrors(validation: unknown[], context: string | undefined): FieldError[] {
  const part = context ?? 'body';
  return validation.slice(0, 20).map((raw) => {
    const v = raw as AjvError;
    const base = (v.instancePath ?? '').split('/').filter(Boolean).join('.');
    const extra =
      typeof v.params?.missingProperty === 'string'
        ? v.params.missingProperty
        : typeof v.params?.additionalProperty === 'string'
          ? v.params.additionalProperty
          : undefined;
    const field = [part, base, extra].filter((s) => s !== undefined && s !== '').join('.');
    const message =
      v.keyword === 'additionalProperties'
        ? 'is not allowed here'
        : v.keyword === 'required'
          ? 'is required'
          : (v.message ?? 'is invalid');
    return { field, message };
  });
}
