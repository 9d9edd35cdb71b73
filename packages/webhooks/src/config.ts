import { Type } from 'typebox';

/** Environment variables of a service that delivers webhooks. */
export function webhookEnv() {
  return {
    /** Subscribers on loopback/private addresses; default true outside production, false in it. */
    WEBHOOK_ALLOW_PRIVATE_URLS: Type.Optional(Type.Boolean()),
  };
}

export interface WebhookConfig {
  readonly allowPrivateUrls: boolean;
  readonly requireHttps: boolean;
}

export function webhookConfig(
  nodeEnv: 'development' | 'production' | 'test',
  parsed: { WEBHOOK_ALLOW_PRIVATE_URLS?: boolean },
): WebhookConfig {
  const production = nodeEnv === 'production';
  return {
    allowPrivateUrls: parsed.WEBHOOK_ALLOW_PRIVATE_URLS ?? !production,
    requireHttps: production,
  };
}

/** The purpose under which a service derives the key sealing its subscribers' secrets. */
export const WEBHOOK_SEAL_PURPOSE = 'webhook-secret-sealing';
