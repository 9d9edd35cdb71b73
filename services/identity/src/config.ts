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
  /**
   * The secret of workflow's client (`tb-workflow`, service centre, records:read). When set,
   * identity makes sure at start that the client exists with this secret; unset, no such client.
   */
  WORKFLOW_CLIENT_SECRET: Type.Optional(Type.String({ minLength: 32, maxLength: 512 })),
  /** WebAuthn relying party id: the portal's host name or a parent domain of it. */
  WEBAUTHN_RP_ID: Type.Optional(Type.String({ minLength: 1, maxLength: 253 })),
  /** Origins (scheme://host[:port]) where staff use passkeys, comma separated: the portal's. */
  WEBAUTHN_ORIGINS: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
  /** The name authenticators show next to a passkey. */
  WEBAUTHN_RP_NAME: Type.String({ minLength: 1, maxLength: 64, default: 'Tongban' }),
});

export interface WebAuthnConfig {
  readonly rpId: string;
  readonly rpName: string;
  readonly origins: readonly string[];
}

export interface IdentityConfig extends BaseConfig {
  readonly masterKey: Buffer | undefined;
  readonly issuer: string;
  readonly audience: string;
  readonly publicUrls: readonly string[];
  readonly signingKeyMaxAgeMs: number;
  readonly bootstrapAdminPassword: string | undefined;
  readonly workflowClientSecret: string | undefined;
  readonly webhooks: WebhookConfig;
  readonly webauthn: WebAuthnConfig;
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
  const publicUrls = parsePublicUrls('IDENTITY_PUBLIC_URLS', parsed.IDENTITY_PUBLIC_URLS);
  return {
    ...base,
    masterKey,
    issuer: parsed.TOKEN_ISSUER,
    audience: parsed.TOKEN_AUDIENCE,
    publicUrls,
    signingKeyMaxAgeMs: parsed.SIGNING_KEY_MAX_AGE_DAYS * 86_400_000,
    bootstrapAdminPassword: parsed.BOOTSTRAP_ADMIN_PASSWORD,
    workflowClientSecret: parsed.WORKFLOW_CLIENT_SECRET,
    webhooks: webhookConfig(base.env, parsed),
    webauthn: webauthnConfig(base.env, parsed),
  };
}

// The demo's portal runs on localhost:3000; production names its own, or passkeys would be bound
// to a host nobody serves.
const WEBAUTHN_DEMO = { rpId: 'localhost', origins: 'http://localhost:3000' };

function webauthnConfig(
  env: BaseConfig['env'],
  parsed: { WEBAUTHN_RP_ID?: string; WEBAUTHN_ORIGINS?: string; WEBAUTHN_RP_NAME: string },
): WebAuthnConfig {
  const problems: string[] = [];
  if (env === 'production') {
    if (!parsed.WEBAUTHN_RP_ID) problems.push('WEBAUTHN_RP_ID: required in production');
    if (!parsed.WEBAUTHN_ORIGINS) problems.push('WEBAUTHN_ORIGINS: required in production');
    if (problems.length > 0) throw new ConfigError(problems);
  }
  const rpId = (parsed.WEBAUTHN_RP_ID ?? WEBAUTHN_DEMO.rpId).trim().toLowerCase();
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(rpId)) {
    problems.push(`WEBAUTHN_RP_ID: not a host name: ${rpId}`);
  }
  const origins = (parsed.WEBAUTHN_ORIGINS ?? WEBAUTHN_DEMO.origins)
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  for (const origin of origins) {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      problems.push(`WEBAUTHN_ORIGINS: not a URL: ${origin}`);
      continue;
    }
    if (url.origin !== origin) {
      problems.push(`WEBAUTHN_ORIGINS: not a bare origin (scheme://host[:port]): ${origin}`);
    } else if (url.protocol !== 'https:' && !(env !== 'production' && url.protocol === 'http:')) {
      problems.push(`WEBAUTHN_ORIGINS: must be https in production: ${origin}`);
    } else if (url.hostname !== rpId && !url.hostname.endsWith(`.${rpId}`)) {
      // WebAuthn §5.1.4.1: the RP id is the origin's host or a registrable suffix of it.
      problems.push(`WEBAUTHN_ORIGINS: ${origin} is not on the relying party ${rpId}`);
    }
  }
  if (origins.length === 0) problems.push('WEBAUTHN_ORIGINS: names no origin');
  if (problems.length > 0) throw new ConfigError(problems);
  return { rpId, rpName: parsed.WEBAUTHN_RP_NAME, origins };
}
