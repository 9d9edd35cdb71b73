import { ConfigError } from '@tongban/service-kit';
import { Type } from 'typebox';

/** Environment variables of a service that delivers webhooks. */
export function webhookEnv() {
  return {
    /** Subscribers on loopback/private addresses; default true outside production, false in it. */
    WEBHOOK_ALLOW_PRIVATE_URLS: Type.Optional(Type.Boolean()),
    /** 32 bytes, base64url: seals subscription secrets at rest. Required in production. */
    WEBHOOK_SEAL_KEY: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' })),
  };
}

export interface WebhookConfig {
  readonly allowPrivateUrls: boolean;
  readonly requireHttps: boolean;
  /** Absent outside production: the service then seals with a key of its own for this run. */
  readonly sealKey: Buffer | undefined;
}

export function webhookConfig(
  nodeEnv: 'development' | 'production' | 'test',
  parsed: { WEBHOOK_ALLOW_PRIVATE_URLS?: boolean; WEBHOOK_SEAL_KEY?: string },
): WebhookConfig {
  const production = nodeEnv === 'production';
  if (production && parsed.WEBHOOK_SEAL_KEY === undefined) {
    throw new ConfigError(['WEBHOOK_SEAL_KEY: required in production (32 bytes, base64url)']);
  }
  return {
    allowPrivateUrls: parsed.WEBHOOK_ALLOW_PRIVATE_URLS ?? !production,
    requireHttps: production,
    sealKey:
      parsed.WEBHOOK_SEAL_KEY === undefined
        ? undefined
        : Buffer.from(parsed.WEBHOOK_SEAL_KEY, 'base64url'),
  };
}
