/**
 * Errors are values with a stable, snake_case `code` that clients may branch on. Every code is
 * declared once in a catalogue with its HTTP status, title and a line for the docs, so domain code
 * throws by code (`problem('credential_revoked', detail)`) and never pairs a status with a code by
 * hand. The `detail` is for people and must never carry internals.
 */
const API_ERROR = Symbol.for('tongban.api-error');

export interface ApiErrorInit {
  readonly status: number;
  readonly code: string;
  /** RFC 9457 `title`: the same for every occurrence of a code. */
  readonly title?: string;
  readonly detail?: string;
  /** Extra problem members (RFC 9457 §3.2), e.g. `errors` for field-level validation failures. */
  readonly extensions?: Readonly<Record<string, unknown>>;
  readonly headers?: Readonly<Record<string, string>>;
}

/** The value a catalogue's `problem` makes; construct it through a catalogue, not by hand. */
export class ApiError extends Error {
  readonly [API_ERROR] = true;
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string | undefined;
  readonly extensions: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, string>>;

  constructor(init: ApiErrorInit) {
    super(init.detail ?? init.code);
    this.name = 'ApiError';
    this.status = init.status;
    this.code = init.code;
    this.title = init.title ?? titleFor(init.status);
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

export interface ErrorDefinition {
  readonly status: number;
  /** Short and fixed per code (RFC 9457 §3.1.4). */
  readonly title: string;
  /** One line for docs/errors.md and the OpenAPI document: when a client gets this code. */
  readonly description: string;
}

export interface ProblemOptions {
  readonly extensions?: Readonly<Record<string, unknown>>;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A service's codes: the shared ones plus its own. */
export interface ErrorCatalogue<Code extends string = string> {
  /** `shared`, or the service that declared the codes in `own`. */
  readonly owner: string;
  /** The codes this catalogue adds to the shared ones. */
  readonly own: Readonly<Record<string, ErrorDefinition>>;
  /** Every code a client of this service may see. */
  readonly entries: Readonly<Record<Code, ErrorDefinition>>;
  has(code: string): code is Code;
  /** The error to throw for `code`; TypeScript refuses a code the catalogue does not declare. */
  problem(code: Code, detail?: string, options?: ProblemOptions): ApiError;
}

const CODE_FORMAT = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;

function catalogue<Code extends string>(
  owner: string,
  own: Readonly<Record<string, ErrorDefinition>>,
  entries: Readonly<Record<string, ErrorDefinition>>,
): ErrorCatalogue<Code> {
  for (const [code, definition] of Object.entries(own)) {
    if (!CODE_FORMAT.test(code))
      throw new TypeError(`${owner} error code ${code} is not snake_case`);
    if (
      !Number.isInteger(definition.status) ||
      definition.status < 400 ||
      definition.status > 599
    ) {
      throw new TypeError(`${owner} error code ${code}: status must be 4xx or 5xx`);
    }
  }
  const has = (code: string): code is Code => Object.hasOwn(entries, code);
  return {
    owner,
    own,
    entries: entries as Readonly<Record<Code, ErrorDefinition>>,
    has,
    problem(code, detail, options) {
      const definition = has(code) ? entries[code] : undefined;
      // Unreachable from typed code; a cast or a string from outside still gets a clear failure.
      if (definition === undefined)
        throw new TypeError(`error code ${code} is not in the ${owner} catalogue`);
      return new ApiError({
        status: definition.status,
        code,
        title: definition.title,
        ...(detail === undefined ? {} : { detail }),
        ...(options?.extensions === undefined ? {} : { extensions: options.extensions }),
        ...(options?.headers === undefined ? {} : { headers: options.headers }),
      });
    },
  };
}

/** The codes every service shares: the kit, auth and idempotency raise these. */
const SHARED = {
  bad_request: {
    status: 400,
    title: 'Bad request',
    description:
      'The request is malformed in a way no more specific code describes (e.g. a bad URL).',
  },
  validation_failed: {
    status: 400,
    title: 'Validation failed',
    description:
      'The body, query, path or headers do not match the schema; `errors` lists each field and why.',
  },
  malformed_json: {
    status: 400,
    title: 'Malformed JSON',
    description: 'The body says it is JSON but is empty or does not parse.',
  },
  unauthorized: {
    status: 401,
    title: 'Unauthorized',
    description:
      'No access token, or one that is expired or invalid; `WWW-Authenticate` says which scheme to use.',
  },
  forbidden: {
    status: 403,
    title: 'Forbidden',
    description: 'The caller is authenticated but its kind, roles or scopes do not allow this.',
  },
  not_found: {
    status: 404,
    title: 'Not found',
    description: 'No such route, or no such resource visible to this caller.',
  },
  method_not_allowed: {
    status: 405,
    title: 'Method not allowed',
    description: 'The route exists but not for this HTTP method.',
  },
  not_acceptable: {
    status: 406,
    title: 'Not acceptable',
    description: 'The endpoint cannot answer in any media type the Accept header allows.',
  },
  conflict: {
    status: 409,
    title: 'Conflict',
    description: "The request conflicts with the resource's current state.",
  },
  already_exists: {
    status: 409,
    title: 'Already exists',
    description: 'A resource with this identifier (code, name, username) already exists.',
  },
  idempotency_in_progress: {
    status: 409,
    title: 'Request in progress',
    description:
      'An earlier request with this Idempotency-Key is still being processed; retry after `Retry-After` seconds.',
  },
  version_conflict: {
    status: 412,
    title: 'Precondition failed',
    description:
      'If-Match does not name the current version (ETag); fetch the resource again and retry.',
  },
  payload_too_large: {
    status: 413,
    title: 'Payload too large',
    description: 'The body is larger than this endpoint accepts.',
  },
  unsupported_media_type: {
    status: 415,
    title: 'Unsupported media type',
    description: 'The body is not in a media type this endpoint accepts (send application/json).',
  },
  idempotency_conflict: {
    status: 422,
    title: 'Idempotency-Key reused',
    description:
      'This Idempotency-Key was already used with a different method, path or body; use a new key for a new request.',
  },
  precondition_required: {
    status: 428,
    title: 'Precondition required',
    description: 'This change is guarded by the resource version: send If-Match with its ETag.',
  },
  rate_limited: {
    status: 429,
    title: 'Too many requests',
    description: 'Too many requests (or failed attempts); retry after `Retry-After` seconds.',
  },
  internal_error: {
    status: 500,
    title: 'Internal server error',
    description: 'The service failed; nothing about why leaves the process. Quote `requestId`.',
  },
  not_ready: {
    status: 503,
    title: 'Service unavailable',
    description: 'The service cannot serve requests yet (database unreachable or not migrated).',
  },
} as const satisfies Readonly<Record<string, ErrorDefinition>>;

export type SharedErrorCode = keyof typeof SHARED;

export const sharedErrors: ErrorCatalogue<SharedErrorCode> = catalogue('shared', SHARED, SHARED);

/** Throws by shared code; services use their own catalogue's `problem`, which also takes these. */
export const problem = sharedErrors.problem;

/**
 * Declares a service's own codes next to the service (`src/errors.ts`); the result is the
 * service's whole catalogue, shared codes included. A shared code cannot be redeclared.
 */
export function defineErrors<const Own extends Readonly<Record<string, ErrorDefinition>>>(
  owner: string,
  own: Own & { readonly [K in SharedErrorCode]?: never },
): ErrorCatalogue<SharedErrorCode | (keyof Own & string)> {
  for (const code of Object.keys(own)) {
    if (sharedErrors.has(code)) throw new TypeError(`${owner} redeclares the shared code ${code}`);
  }
  return catalogue(owner, own, { ...SHARED, ...own });
}

const by =
  (code: SharedErrorCode) =>
  (detail?: string, extensions?: Readonly<Record<string, unknown>>): ApiError =>
    problem(code, detail, extensions === undefined ? undefined : { extensions });

/** Shorthands for the shared codes, e.g. `errors.notFound('No such case.')`. */
export const errors = {
  badRequest: by('bad_request'),
  validationFailed: by('validation_failed'),
  malformedJson: by('malformed_json'),
  unauthorized: by('unauthorized'),
  forbidden: by('forbidden'),
  notFound: by('not_found'),
  methodNotAllowed: by('method_not_allowed'),
  notAcceptable: by('not_acceptable'),
  conflict: by('conflict'),
  alreadyExists: by('already_exists'),
  versionConflict: by('version_conflict'),
  preconditionRequired: by('precondition_required'),
  idempotencyInProgress: by('idempotency_in_progress'),
  idempotencyConflict: by('idempotency_conflict'),
  payloadTooLarge: by('payload_too_large'),
  unsupportedMediaType: by('unsupported_media_type'),
  rateLimited: by('rate_limited'),
  internal: by('internal_error'),
  notReady: by('not_ready'),
} as const;

/** Titles for statuses that reach the handler without a code (a plugin's own error). */
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
  502: 'Bad gateway',
  503: 'Service unavailable',
};

export function titleFor(status: number): string {
  return TITLES[status] ?? (status >= 500 ? 'Server error' : 'Client error');
}
