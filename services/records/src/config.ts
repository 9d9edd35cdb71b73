import { parsePublicUrls } from '@tongban/dpop';
import { masterKeyFromEnv } from '@tongban/keys';
import { type BaseConfig, baseConfig, parseEnv, serviceEnv } from '@tongban/service-kit';
import { DEFAULT_CASE_GRANT_ISSUER } from '@tongban/tokens';
import { type WebhookConfig, webhookConfig, webhookEnv } from '@tongban/webhooks';
import { Type } from 'typebox';

const Env = Type.Object({
  ...serviceEnv(3003),
  /** Where identity publishes its JWKS; access tokens are verified against it. */
  IDENTITY_URL: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:3001' }),
  TOKEN_ISSUER: Type.String({ minLength: 1, maxLength: 64, default: 'tb' }),
  TOKEN_AUDIENCE: Type.String({ minLength: 1, default: 'tongban' }),
  /**
   * The base URLs under which clients reach records (directly and through the portal), comma
   * separated. A resident's DPoP proof must name one of them (RFC 9449 `htu`).
   */
  RECORDS_PUBLIC_URLS: Type.String({
    minLength: 1,
    default: 'http://127.0.0.1:3003,http://127.0.0.1:3000/api/records',
  }),
  /** 32+ random bytes, base64url or base64: seals records' signing keys. Required in production. */
  RECORDS_MASTER_KEY: Type.Optional(Type.String({ minLength: 43 })),
  SIGNING_KEY_MAX_AGE_DAYS: Type.Integer({ minimum: 1, maximum: 365, default: 30 }),
  /** Workflow's JWKS: case grants (`Case-Grant` header) are verified against it. */
  WORKFLOW_JWKS_URL: Type.String({
    pattern: '^https?://',
    default: 'http://127.0.0.1:3002/.well-known/jwks.json',
  }),
  /** The `iss` of a case grant (ADR 0013). */
  CASE_GRANT_ISSUER: Type.String({
    minLength: 1,
    maxLength: 64,
    default: DEFAULT_CASE_GRANT_ISSUER,
  }),
  /** Between two sequencer runs; ADR 0013 promises a checkpoint every few seconds at most. */
  ACCESS_LOG_SEQUENCE_INTERVAL_MS: Type.Integer({ minimum: 50, maximum: 10_000, default: 1000 }),
  /** Entries one sequencer transaction takes; a run takes up to ten batches, then signs. */
  ACCESS_LOG_BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 10_000, default: 1000 }),
  /** The `iss` of the signed log heads; verifiers pin it. */
  ACCESS_LOG_ISSUER: Type.String({ pattern: '^[A-Za-z0-9._:/-]{1,128}$', default: 'tb-records' }),
  ...webhookEnv(),
});

export interface RecordsConfig extends BaseConfig {
  readonly identityUrl: string;
  readonly issuer: string;
  readonly audience: string;
  /** Where clients reach records; resident DPoP proofs name one of these (`htu`). */
  readonly publicUrls: readonly string[];
  /** Undefined outside production when unset: server.ts then uses the demo key. */
  readonly masterKey: Buffer | undefined;
  readonly signingKeyMaxAgeMs: number;
  readonly webhooks: WebhookConfig;
  readonly caseGrants: { readonly jwksUrl: string; readonly issuer: string };
  readonly accessLog: AccessLogConfig;
}

export interface AccessLogConfig {
  readonly sequenceIntervalMs: number;
  readonly batchSize: number;
  readonly issuer: string;
}

/** Pure: the caller hands in the environment and the working directory. */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): RecordsConfig {
  const parsed = parseEnv(Env, env);
  const base = baseConfig('records', parsed, env, cwd);
  return {
    ...base,
    identityUrl: parsed.IDENTITY_URL,
    issuer: parsed.TOKEN_ISSUER,
    audience: parsed.TOKEN_AUDIENCE,
    publicUrls: parsePublicUrls('RECORDS_PUBLIC_URLS', parsed.RECORDS_PUBLIC_URLS),
    masterKey: masterKeyFromEnv({
      variable: 'RECORDS_MASTER_KEY',
      value: parsed.RECORDS_MASTER_KEY,
      env: base.env,
    }),
    signingKeyMaxAgeMs: parsed.SIGNING_KEY_MAX_AGE_DAYS * 86_400_000,
    webhooks: webhookConfig(base.env, parsed),
    caseGrants: { jwksUrl: parsed.WORKFLOW_JWKS_URL, issuer: parsed.CASE_GRANT_ISSUER },
    accessLog: {
      sequenceIntervalMs: parsed.ACCESS_LOG_SEQUENCE_INTERVAL_MS,
      batchSize: parsed.ACCESS_LOG_BATCH_SIZE,
      issuer: parsed.ACCESS_LOG_ISSUER,
    },
  };
}
