import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parsePublicUrls } from '@tongban/dpop';
import { masterKeyFromEnv } from '@tongban/keys';
import {
  type BaseConfig,
  baseConfig,
  ConfigError,
  parseEnv,
  serviceEnv,
} from '@tongban/service-kit';
import { type WebhookConfig, webhookConfig, webhookEnv } from '@tongban/webhooks';
import { Type } from 'typebox';

/** The service catalogue shipped with the service: the demo city's definitions. */
const SHIPPED_CATALOGUE = fileURLToPath(new URL('../catalogue', import.meta.url));

const Env = Type.Object({
  ...serviceEnv(3002),
  /** Where identity publishes its JWKS; access tokens are verified against it. */
  IDENTITY_URL: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:3001' }),
  TOKEN_ISSUER: Type.String({ minLength: 1, maxLength: 64, default: 'tb' }),
  TOKEN_AUDIENCE: Type.String({ minLength: 1, default: 'tongban' }),
  /** 32+ random bytes, base64url or base64: seals workflow's signing keys. Required in production. */
  WORKFLOW_MASTER_KEY: Type.Optional(Type.String({ minLength: 43 })),
  SIGNING_KEY_MAX_AGE_DAYS: Type.Integer({ minimum: 1, maximum: 365, default: 30 }),
  /** Directory of service definitions published at start; the shipped catalogue by default. */
  WORKFLOW_CATALOGUE_DIR: Type.Optional(Type.String({ minLength: 1 })),
  /**
   * The base URLs under which clients reach workflow (directly and through the portal), comma
   * separated. A resident's DPoP proof must name one of them (RFC 9449 `htu`).
   */
  WORKFLOW_PUBLIC_URLS: Type.String({
    minLength: 1,
    default: 'http://127.0.0.1:3002,http://127.0.0.1:3000/api/workflow',
  }),
  /** Case numbers read `<prefix><year>-<counter>`: 1–8 capital letters. */
  WORKFLOW_CASE_NUMBER_PREFIX: Type.String({ pattern: '^[A-Z]{1,8}$', default: 'TB' }),
  /** The city's time zone: working days, deadlines and case-number years are counted in it. */
  WORKFLOW_TIME_ZONE: Type.String({ minLength: 1, maxLength: 64, default: 'Asia/Shanghai' }),
  /**
   * A directory of holiday calendars (`cn-<year>.json`, State Council notices); the shipped ones
   * by default. Days in years it lacks are judged by weekday alone, and each such day is logged.
   */
  WORKFLOW_CALENDAR_DIR: Type.Optional(Type.String({ minLength: 1 })),
  /**
   * What the receipt's QR opens: this URL followed by the tracking code. By default the portal's
   * public tracking page, which reads `GET /v1/track/{trackingCode}` through the gateway.
   */
  WORKFLOW_TRACKING_BASE_URL: Type.String({
    pattern: '^https?://',
    default: 'http://127.0.0.1:3000/track/',
  }),
  /** Where the record API is: cases pull the records they need from it. */
  RECORDS_URL: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:3003' }),
  /**
   * Workflow's own client at identity (department service_centre, records:read): the pull of a
   * case's records is made with its token and a case grant. Without the secret, cases are still
   * taken but wait for their records; required in production.
   */
  WORKFLOW_CLIENT_ID: Type.String({ minLength: 1, maxLength: 64, default: 'tb-workflow' }),
  WORKFLOW_CLIENT_SECRET: Type.Optional(Type.String({ minLength: 32, maxLength: 512 })),
  /**
   * Seconds between two runs of the overdue sweep (tasks past their deadline are reported once,
   * `task.overdue` and `task.escalated`). Every replica runs it; they never report a task twice.
   */
  WORKFLOW_SLA_SWEEP_INTERVAL_SECONDS: Type.Integer({ minimum: 1, maximum: 3600, default: 60 }),
  ...webhookEnv(),
});

export interface WorkflowConfig extends BaseConfig {
  readonly identityUrl: string;
  readonly issuer: string;
  readonly audience: string;
  /** Undefined outside production when unset: server.ts then uses the demo key. */
  readonly masterKey: Buffer | undefined;
  readonly signingKeyMaxAgeMs: number;
  readonly webhooks: WebhookConfig;
  /** Where the service definitions published at start live. */
  readonly catalogueDir: string;
  readonly publicUrls: readonly string[];
  /** The record API and workflow's client at identity; undefined secret: no record pulls. */
  readonly records: {
    readonly url: string;
    readonly clientId: string;
    readonly clientSecret: string | undefined;
  };
  readonly cases: {
    readonly numberPrefix: string;
    readonly timeZone: string;
    /** Undefined: the calendars shipped with @tongban/working-days. */
    readonly calendarDir: string | undefined;
    readonly trackingBaseUrl: string;
  };
  readonly sla: {
    /** Between two runs of the overdue sweep. */
    readonly sweepIntervalMs: number;
  };
}

/** Pure: the caller hands in the environment and the working directory. */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): WorkflowConfig {
  const parsed = parseEnv(Env, env);
  const base = baseConfig('workflow', parsed, env, cwd);
  return {
    ...base,
    identityUrl: parsed.IDENTITY_URL,
    issuer: parsed.TOKEN_ISSUER,
    audience: parsed.TOKEN_AUDIENCE,
    masterKey: masterKeyFromEnv({
      variable: 'WORKFLOW_MASTER_KEY',
      value: parsed.WORKFLOW_MASTER_KEY,
      env: base.env,
    }),
    signingKeyMaxAgeMs: parsed.SIGNING_KEY_MAX_AGE_DAYS * 86_400_000,
    webhooks: webhookConfig(base.env, parsed),
    catalogueDir:
      parsed.WORKFLOW_CATALOGUE_DIR === undefined
        ? SHIPPED_CATALOGUE
        : resolve(cwd, parsed.WORKFLOW_CATALOGUE_DIR),
    publicUrls: parsePublicUrls('WORKFLOW_PUBLIC_URLS', parsed.WORKFLOW_PUBLIC_URLS),
    records: {
      url: parsed.RECORDS_URL,
      clientId: parsed.WORKFLOW_CLIENT_ID,
      clientSecret: requiredInProduction(
        base.env,
        'WORKFLOW_CLIENT_SECRET',
        parsed.WORKFLOW_CLIENT_SECRET,
      ),
    },
    cases: {
      numberPrefix: parsed.WORKFLOW_CASE_NUMBER_PREFIX,
      timeZone: parsed.WORKFLOW_TIME_ZONE,
      calendarDir:
        parsed.WORKFLOW_CALENDAR_DIR === undefined
          ? undefined
          : resolve(cwd, parsed.WORKFLOW_CALENDAR_DIR),
      trackingBaseUrl: parsed.WORKFLOW_TRACKING_BASE_URL,
    },
    sla: { sweepIntervalMs: parsed.WORKFLOW_SLA_SWEEP_INTERVAL_SECONDS * 1000 },
  };
}

/** A secret production must be given (there are no default secrets); elsewhere it may be absent. */
function requiredInProduction(
  env: BaseConfig['env'],
  name: string,
  value: string | undefined,
): string | undefined {
  if (env === 'production' && value === undefined) {
    throw new ConfigError([`${name}: required in production`]);
  }
  return value;
}
