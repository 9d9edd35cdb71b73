/**
 * Errors are values with a stable, snake_case `code` that clients may branch on. The HTTP status
 * travels with the code; the `detail` is for people and must never carry internals.
 */
const API_ERROR = Symbol.for('tongban.api-error');

export interface ApiErrorInit {
  readonly status: number;
  readonly code: string;
  readonly detail?: string;
  /** Extra problem members (RFC 9457 §3.2), e.g. `errors` for field-level validation failures. */
  readonly extensions?: Readonly<Record<string, unknown>>;
  readonly headers?: Readonly<Record<string, string>>;
}

export class ApiError extends Error {
  readonly [API_ERROR] = true;
  readonly status: number;
  readonly code: string;
  readonly detail: string | undefined;
  readonly extensions: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, string>>;

  constructor(init: ApiErrorInit) {
    super(init.detail ?? init.code);
    this.name = 'ApiError';
    this.status = init.status;
    this.code = init.code;
    this.detail = init.detail;
    this.extensions = init.extensions ?? {};
    this.headers = init.headers ?? {};
  }

  /** Fastify and its plugins read `statusCode`. */
  get statusCode(): number {
    return this.status;
  }
}

export function isApiError(value: unknown): value is ApiError {
  return typeof value === 'object' && value !== null && API_ERROR in value;
}

const make =
  (status: number, code: string) =>
  (detail?: string, extensions?: Readonly<Record<string, unknown>>): ApiError =>
    new ApiError(
      extensions === undefined ? { status, code, detail } : { status, code, detail, extensions },
    );

/** The codes every service shares (see the public contract). Domain codes are made with `new ApiError`. */
export const errors = {
  badRequest: make(400, 'bad_request'),
  validationFailed: make(400, 'validation_failed'),
  malformedJson: make(400, 'malformed_json'),
  unauthorized: make(401, 'unauthorized'),
  forbidden: make(403, 'forbidden'),
  notFound: make(404, 'not_found'),
  methodNotAllowed: make(405, 'method_not_allowed'),
  conflict: make(409, 'conflict'),
  versionConflict: make(412, 'version_conflict'),
  preconditionRequired: make(428, 'precondition_required'),
  idempotencyConflict: make(409, 'idempotency_conflict'),
  payloadTooLarge: make(413, 'payload_too_large'),
  unsupportedMediaType: make(415, 'unsupported_media_type'),
  rateLimited: make(429, 'rate_limited'),
  internal: make(500, 'internal_error'),
  notReady: make(503, 'not_ready'),
} as const;

/** RFC 9457 `title`: short, the same for every occurrence of a code. */
const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  406: 'Not acceptable',
  408: 'Request timeout',
  409: 'Conflict',
  410: 'Gone',
  412: 'Precondition failed',
  413: 'Payload too large',
  415: 'Unsupported media type',
  422: 'Unprocessable content',
  428: 'Precondition required',
  429: 'Too many requests',
  500: 'Internal server error',
  503: 'Service unavailable',
};

export function titleFor(status: number): string {
  return TITLES[status] ?? (status >= 500 ? 'Server error' : 'Client error');
}
