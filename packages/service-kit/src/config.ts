import { type DatabaseTarget, databaseTargetFromEnv } from '@tongban/db';
import { type Static, type TObject, type TProperties, Type } from 'typebox';
import { Value } from 'typebox/value';

/** Environment variables every service reads; a service adds its own next to these. */
export function serviceEnv(defaultPort: number) {
  return {
    NODE_ENV: Type.Union(
      [Type.Literal('development'), Type.Literal('production'), Type.Literal('test')],
      {
        default: 'development',
      },
    ),
    HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
    PORT: Type.Integer({ minimum: 0, maximum: 65_535, default: defaultPort }),
    LOG_LEVEL: Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
      { default: 'info' },
    ),
    BODY_LIMIT: Type.Integer({ minimum: 1024, maximum: 16 * 1024 * 1024, default: 256 * 1024 }),
    RATE_LIMIT_MAX: Type.Integer({ minimum: 1, default: 1200 }),
    RATE_LIMIT_WINDOW_MS: Type.Integer({ minimum: 1000, default: 60_000 }),
    TRUST_PROXY: Type.Boolean({ default: false }),
    SHUTDOWN_GRACE_MS: Type.Integer({ minimum: 100, default: 10_000 }),
    DB_POOL_MAX: Type.Integer({ minimum: 1, maximum: 200, default: 10 }),
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads exactly the declared variables, applies defaults, converts text to the declared types
 * and fails with every problem listed, so a bad deployment stops at once with a clear message.
 */
export function parseEnv<P extends TProperties>(
  schema: TObject<P>,
  env: Readonly<Record<string, string | undefined>>,
): Static<TObject<P>> {
  const picked: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') picked[key] = value;
  }
  const converted = Value.Convert(schema, Value.Default(schema, picked));
  if (!Value.Check(schema, converted)) {
    const problems = Value.Errors(schema, converted).map((e) => {
      const key = e.instancePath.replace(/^\//, '') || 'environment';
      return `${key}: ${e.message}${key in picked ? ` (got ${JSON.stringify(picked[key])})` : ''}`;
    });
    throw new ConfigError(problems);
  }
  return converted as Static<TObject<P>>;
}

export interface BaseConfig {
  readonly service: string;
  readonly env: 'development' | 'production' | 'test';
  readonly host: string;
  readonly port: number;
  readonly logLevel: string;
  readonly bodyLimit: number;
  readonly rateLimit: { readonly max: number; readonly windowMs: number };
  readonly trustProxy: boolean;
  readonly shutdownGraceMs: number;
  readonly database: DatabaseTarget;
  readonly dbPoolMax: number;
}

export function baseConfig(
  service: string,
  parsed: Static<TObject<ReturnType<typeof serviceEnv>>>,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): BaseConfig {
  let database: DatabaseTarget;
  try {
    database = databaseTargetFromEnv(service, env, cwd);
  } catch (err) {
    throw new ConfigError([(err as Error).message]);
  }
  return {
    service,
    env: parsed.NODE_ENV as BaseConfig['env'],
    host: parsed.HOST,
    port: parsed.PORT,
    logLevel: parsed.LOG_LEVEL as string,
    bodyLimit: parsed.BODY_LIMIT,
    rateLimit: { max: parsed.RATE_LIMIT_MAX, windowMs: parsed.RATE_LIMIT_WINDOW_MS },
    trustProxy: parsed.TRUST_PROXY,
    shutdownGraceMs: parsed.SHUTDOWN_GRACE_MS,
    database,
    dbPoolMax: parsed.DB_POOL_MAX,
  };
}
