import { createHash } from 'node:crypto';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import type { ErrorCatalogue } from '../errors.js';
import { PROBLEM_MEDIA_TYPE } from './problem-json.js';

export interface OpenApiOptions {
  readonly title: string;
  readonly version: string;
  readonly description: string;
  /** The service's error catalogue: every documented error code is resolved through it. */
  readonly errors: ErrorCatalogue;
}

/** The RFC 9457 body every error response carries (see problem-json.ts). */
export const ProblemSchema = {
  type: 'object',
  description: 'RFC 9457 problem details; branch on `code`, never on `title` or `detail`.',
  required: ['type', 'title', 'status', 'code', 'requestId'],
  properties: {
    type: { type: 'string', description: '`urn:tongban:problem:<code>`' },
    title: { type: 'string', description: 'Short and the same for every occurrence of a code.' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: { type: 'string', description: 'For people; absent on 5xx.' },
    instance: { type: 'string', description: 'The request path.' },
    code: { type: 'string', pattern: '^[a-z][a-z0-9_]*$', description: 'Stable, snake_case.' },
    requestId: { type: 'string', description: 'Also in the X-Request-Id header and the logs.' },
    errors: {
      type: 'array',
      description: 'validation_failed only: each field and what is wrong with it.',
      items: {
        type: 'object',
        required: ['field', 'message'],
        properties: { field: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
} as const;

const PROBLEM_REF = '#/components/schemas/Problem';

const DOCS_PREFIX = '/docs';

/**
 * Relative to where the document is served (OpenAPI 3.1, Server Object `url`), so "Try it out"
 * calls this service whether the document came from <service>/docs/json or through the portal
 * from /api/<service>/docs/json. `..` rather than `../`: an operation's path appended to it
 * still makes a correct reference.
 */
const DOCS_SERVERS = [
  { url: '..', description: 'This service, relative to where this document is served' },
];

/**
 * Swagger UI's top bar draws its logo as an inline SVG carrying this <style> (swagger-ui-dist
 * 5); allowing exactly its hash keeps style-src free of 'unsafe-inline'.
 */
const SWAGGER_UI_LOGO_STYLE =
  '.logo_small_svg__cls-2{fill:#fff}.logo_small_svg__cls-3{fill:#85ea2d}';

/**
 * The docs page's policy: its own scripts, styles and images and nothing else, on the service's
 * origin or the portal's. The document and "Try it out" requests are same-origin fetches.
 */
const DOCS_CONTENT_SECURITY_POLICY: Record<string, string[]> = {
  'default-src': ["'none'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': [
    "'self'",
    `'sha256-${createHash('sha256').update(SWAGGER_UI_LOGO_STYLE).digest('base64')}'`,
  ],
  'img-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
  'frame-ancestors': ["'none'"],
};

/**
 * OpenAPI 3.1 generated from the route schemas; the document at /docs/json, the UI at /docs/
 * (/docs redirects there).
 * Every operation also lists the errors it can answer with, derived from what the route declares
 * (schemas, `config.auth`, Idempotency-Key, If-Match, a body) plus its own `config.errors`, each
 * code resolved through the service's catalogue: the document cannot drift from the handler.
 */
export const openapi = fp<OpenApiOptions>(
  async (app: FastifyInstance, options) => {
    const catalogue = options.errors;
    // Keyed by OpenAPI path and lower-case method, as they appear in the document.
    const errorCodes = new Map<string, readonly string[]>();
    app.addHook('onRoute', (route) => {
      const path = openapiPath(route.url);
      for (const method of [route.method].flat()) {
        errorCodes.set(`${method.toLowerCase()} ${path}`, routeErrorCodes(route));
      }
    });

    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: { title: options.title, version: options.version, description: options.description },
        components: {
          securitySchemes: {
            bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          },
        },
      },
      transformObject: (documentObject) => {
        const document = (
          'openapiObject' in documentObject
            ? documentObject.openapiObject
            : documentObject.swaggerObject
        ) as OpenApiDocument;
        document.components = {
          ...document.components,
          schemas: { ...document.components?.schemas, Problem: ProblemSchema },
        };
        for (const [path, item] of Object.entries(document.paths ?? {})) {
          for (const [method, operation] of Object.entries(item)) {
            const codes = errorCodes.get(`${method} ${path}`);
            if (codes === undefined || typeof operation !== 'object' || operation === null)
              continue;
            operation.responses ??= {};
            const responses = operation.responses;
            for (const [status, response] of Object.entries(errorResponses(catalogue, codes))) {
              responses[status] ??= response;
            }
          }
        }
        return document;
      },
    });
    await app.register(swaggerUi, {
      routePrefix: '/docs',
      staticCSP: DOCS_CONTENT_SECURITY_POLICY,
      uiConfig: { docExpansion: 'list', deepLinking: true },
      uiHooks: {
        // The UI's page names its assets relative to itself only when opened as /docs/; opened
        // as /docs it names them from the root (/docs/static/…), which behind the portal
        // gateway (/api/<service>/docs) is another service's path or none. A relative redirect
        // lands on /docs/ wherever the service is mounted.
        onRequest: async (request, reply) => {
          const queryAt = request.url.indexOf('?');
          const path = queryAt === -1 ? request.url : request.url.slice(0, queryAt);
          if (path !== DOCS_PREFIX) return;
          await reply.redirect(`docs/${queryAt === -1 ? '' : request.url.slice(queryAt)}`);
        },
      },
      // The served document, not app.swagger() (which generates the clients), names its server.
      transformSpecificationClone: false,
      transformSpecification: (document) => ({ ...document, servers: DOCS_SERVERS }),
    });
  },
  { name: 'tongban-openapi' },
);

interface OpenApiOperation {
  responses?: Record<string, unknown>;
}
interface OpenApiDocument {
  paths?: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, unknown> } & Record<string, unknown>;
}

/** The codes a route can answer with, from what it declares; the catalogue supplies the status. */
export function routeErrorCodes(route: Pick<RouteOptions, 'url' | 'schema' | 'config'>): string[] {
  const schema = (route.schema ?? {}) as Record<string, unknown>;
  const config = (route.config ?? {}) as { auth?: unknown; errors?: readonly string[] };
  const headers = propertyNames(schema.headers);
  const codes = new Set<string>();
  const hasBody = schema.body !== undefined;
  if (hasBody || schema.querystring !== undefined || schema.params !== undefined) {
    codes.add('validation_failed');
  }
  if (schema.headers !== undefined) codes.add('validation_failed');
  if (hasBody) codes.add('malformed_json');
  if (config.auth !== undefined) {
    codes.add('unauthorized');
    codes.add('forbidden');
  }
  if (route.url.includes(':')) codes.add('not_found');
  if (headers.has('idempotency-key')) {
    codes.add('idempotency_in_progress');
    codes.add('idempotency_conflict');
  }
  if (headers.has('if-match')) {
    codes.add('version_conflict');
    codes.add('precondition_required');
  }
  if (hasBody) {
    codes.add('payload_too_large');
    codes.add('unsupported_media_type');
  }
  for (const code of config.errors ?? []) codes.add(code);
  codes.add('rate_limited');
  codes.add('internal_error');
  return [...codes];
}

/** One response per status, listing each code with its meaning and an example body. */
export function errorResponses(
  catalogue: ErrorCatalogue,
  codes: readonly string[],
): Record<string, unknown> {
  const byStatus = new Map<number, string[]>();
  const entry = (code: string) => {
    const definition = catalogue.has(code) ? catalogue.entries[code] : undefined;
    if (definition === undefined) {
      throw new TypeError(`error code ${code} is not in the ${catalogue.owner} catalogue`);
    }
    return definition;
  };
  for (const code of codes) {
    const status = entry(code).status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<string, unknown> = {};
  for (const status of [...byStatus.keys()].sort((a, b) => a - b)) {
    const statusCodes = byStatus.get(status) ?? [];
    responses[String(status)] = {
      description: statusCodes
        .map((code) => `\`${code}\`: ${entry(code).description}`)
        .join('\n\n'),
      content: {
        [PROBLEM_MEDIA_TYPE]: {
          schema: { $ref: PROBLEM_REF },
          examples: Object.fromEntries(
            statusCodes.map((code) => [
              code,
              {
                summary: entry(code).title,
                value: {
                  type: `urn:tongban:problem:${code}`,
                  title: entry(code).title,
                  status,
                  code,
                  requestId: '3f0c9c1e-…',
                },
              },
            ]),
          ),
        },
      },
      'x-codes': statusCodes,
    };
  }
  return responses;
}

// Header names a schema accepts, through TypeBox intersections (`allOf`).
function propertyNames(schema: unknown): Set<string> {
  const s = (schema ?? {}) as { properties?: Record<string, unknown>; allOf?: unknown[] };
  const names = new Set(Object.keys(s.properties ?? {}).map((name) => name.toLowerCase()));
  for (const part of s.allOf ?? []) for (const name of propertyNames(part)) names.add(name);
  return names;
}

/** Fastify's `/v1/cases/:id` as OpenAPI writes it, `/v1/cases/{id}`. */
function openapiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)(\([^)]*\))?/g, '{$1}');
}

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/**
 * What an OpenAPI document fails to say about errors, one line per gap (empty when complete):
 * every operation lists 429 and 500, 400 when it takes input, 404 when its path has parameters,
 * and every 4xx/5xx response is problem+json with the shared `Problem` schema.
 */
export function missingErrorResponses(document: unknown): string[] {
  const doc = document as {
    paths?: Record<string, Record<string, Record<string, unknown>>>;
    components?: { schemas?: Record<string, unknown> };
  };
  const gaps: string[] = [];
  if (doc.components?.schemas?.Problem === undefined) gaps.push('components.schemas.Problem');
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, operation] of Object.entries(item)) {
      if (!HTTP_METHODS.has(method)) continue;
      const where = `${method.toUpperCase()} ${path}`;
      const responses = (operation.responses ?? {}) as Record<string, Record<string, unknown>>;
      const expected = ['429', '500'];
      const parameters = (operation.parameters ?? []) as unknown[];
      if (parameters.length > 0 || operation.requestBody !== undefined) expected.push('400');
      if (path.includes('{')) expected.push('404');
      for (const status of expected) {
        if (responses[status] === undefined) gaps.push(`${where}: no ${status} response`);
      }
      for (const [status, response] of Object.entries(responses)) {
        if (!/^[45]\d\d$/.test(status)) continue;
        const content = response.content as
          | Record<string, { schema?: { $ref?: string } }>
          | undefined;
        if (content?.[PROBLEM_MEDIA_TYPE]?.schema?.$ref !== PROBLEM_REF) {
          gaps.push(`${where}: ${status} is not ${PROBLEM_MEDIA_TYPE} with the Problem schema`);
        }
      }
    }
  }
  return gaps;
}
