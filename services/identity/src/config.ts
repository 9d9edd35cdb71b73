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

const Env = Type.Object({
  ...serviceEnv(3001),
  ...webhookEnv(),
  /** 32+ random bytes, base64url or base64. Required in production; the demo makes its own. */
  IDENTITY_MASTER_KEY: Type.Optional(Type.String({ minLength: 43 })),
  /** `iss` of every token identity signs. Kept short: it rides in every QR code. */
  TOKEN_ISSUER: Type.String({ minLength: 1, maxLength: 64, default: 'tb' }),
  TOKEN_AUDIENCE: Type.String({ minLength: 1, default: 'tongban' }),
  /**
   * The base URLs under which clients reach identity (directly and through the portal), comma
   * separated. Device proofs must name one of them (RFC 9449 `htu`); the first is also the base of
   * status-list URIs.
   */
  IDENTITY_PUBLIC_URLS: Type.String({
    minLength: 1,
    default: 'http://127.0.0.1:3001,http://127.0.0.1:3000/api/identity',
  }),
  SIGNING_KEY_MAX_AGE_DAYS: Type.Integer({ minimum: 1, maximum: 365, default: 30 }),
  /** Creates the first system administrator when no staff exists yet (demo and first install). */
  BOOTSTRAP_ADMIN_PASSWORD: Type.Optional(Type.String({ minLength: 12 })),
});

export interface IdentityConfig extends BaseConfig {
  readonly masterKey: Buffer | undefined;
  readonly issuer: string;
  readonly audience: string;
  readonly publicUrls: readonly string[];
  readonly signingKeyMaxAgeMs: number;
  readonly bootstrapAdminPassword: string | undefined;
  readonly webhooks: WebhookConfig;
}

/** Pure: the caller hands in the environment and the working directory. */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): IdentityConfig {
  const parsed = parseEnv(Env, env);
  const base = baseConfig('identity', parsed, env, cwd);
  const masterKey = masterKeyFromEnv({
    variable: 'IDENTITY_MASTER_KEY',
    value: parsed.IDENTITY_MASTER_KEY,
    env: base.env,
  });
  const publicUrls = parsed.IDENTITY_PUBLIC_URLS.split(',')
    .map((u) => u.trim().replace(/\/+$/, ''))
    .filter(Boolean);
  for (const url of publicUrls) {
    if (!/^https?:\/\/[^/]+/.test(url)) {
      throw new ConfigError([`IDENTITY_PUBLIC_URLS: not an http(s) URL: ${url}`]);
    }
  }
  return {
    ...base,
    masterKey,
    issuer: parsed.TOKEN_ISSUER,
    audience: parsed.TOKEN_AUDIENCE,
    publicUrls,
    signingKeyMaxAgeMs: parsed.SIGNING_KEY_MAX_AGE_DAYS * 86_400_000,
    bootstrapAdminPassword: parsed.BOOTSTRAP_ADMIN_PASSWORD,
    webhooks: webhookConfig(base.env, parsed),
  };
}
