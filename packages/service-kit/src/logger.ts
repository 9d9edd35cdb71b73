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

export function loggerOptions(service: string, level: string): LoggerOptions {
  return {
    level,
    name: service,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
}
