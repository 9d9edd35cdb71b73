import { type BaseConfig, baseConfig, parseEnv, serviceEnv } from '@tongban/service-kit';
import { type WebhookConfig, webhookConfig, webhookEnv } from '@tongban/webhooks';
import { Type } from 'typebox';

const Env = Type.Object({
  ...serviceEnv(3003),
  /** Where identity publishes its JWKS; access tokens are verified against it. */
  IDENTITY_URL: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:3001' }),
  TOKEN_ISSUER: Type.String({ minLength: 1, maxLength: 64, default: 'tb' }),
  TOKEN_AUDIENCE: Type.String({ minLength: 1, default: 'tongban' }),
  ...webhookEnv(),
});

export interface RecordsConfig extends BaseConfig {
  readonly identityUrl: string;
  readonly issuer: string;
  readonly audience: string;
  readonly webhooks: WebhookConfig;
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
    webhooks: webhookConfig(base.env, parsed),
  };
}
