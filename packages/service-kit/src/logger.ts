import type { LoggerOptions } from 'pino';

/**
 * Credentials and personal data never reach the log. Fastify does not log bodies, but a verb
 * that logs an input object, or an error that carries one, is covered by the wildcard paths.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'req.headers.dpop',
  'res.headers["set-cookie"]',
  ...[
    'password',
    'clientSecret',
    'client_secret',
    'idNumber',
    'documentNumber',
    'phone',
    'birthDate',
    'fullName',
    'activationCode',
    'token',
    'accessToken',
    'privateKey',
  ].flatMap((field) => [field, `*.${field}`, `*.*.${field}`]),
];

// A compact JWS anywhere in a URL (e.g. /v1/presentations/<token>/qr.png) is a live credential.
const JWS_IN_URL = /[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/g;

export function redactUrl(url: string): string {
  return url.replace(JWS_IN_URL, '[token]');
}

export function loggerOptions(service: string, level: string): LoggerOptions {
  return {
    level,
    name: service,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: {
      req: (req: { method?: string; url?: string; hostname?: string; ip?: string }) => ({
        method: req.method,
        url: redactUrl(req.url ?? ''),
        host: req.hostname,
        remoteAddress: req.ip,
      }),
    },
  };
}
