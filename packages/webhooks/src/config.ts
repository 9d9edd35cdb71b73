import { Type } from 'typebox';
import type { UrlPolicy } from './subscriptions.js';

/** Environment variables of a service that delivers webhooks. */
export function webhookEnv() {
  return {
    /** Subscribers on loopback/private addresses; default true outside production, false in it. */
    WEBHOOK_ALLOW_PRIVATE_URLS: Type.Optional(Type.Boolean()),
  };
}

/** What a service's environment says about subscriber URLs: the policy it enforces. */
export type WebhookConfig = UrlPolicy;

export function webhookConfig(
  nodeEnv: 'development' | 'production' | 'test',
  parsed: { WEBHOOK_ALLOW_PRIVATE_URLS?: boolean },
): WebhookConfig {
  const production = nodeEnv === 'production';
  return {
    allowPrivateAddresses: parsed.WEBHOOK_ALLOW_PRIVATE_URLS ?? !production,
    requireHttps: production,
  };
}

/** The purpose under which a service derives the key sealing its subscribers' secrets. */
export const WEBHOOK_SEAL_PURPOSE = 'webhook-secret-sealing';
