import { randomBytes } from 'node:crypto';
import { open, seal } from '@tongban/keys';

function assertKey(key: Buffer): void {
  if (key.length !== 32) throw new Error('The webhook sealing key must be 32 bytes.');
}

/**
 * Seals a subscription secret at rest with the service's AES-256-GCM sealing. The associated data
 * is the subscription id, so a sealed secret copied onto another subscription's row does not open.
 */
export function sealSecret(key: Buffer, secret: string, associatedData: string): string {
  assertKey(key);
  return seal(key, secret, associatedData);
}

export function openSecret(key: Buffer, sealed: string, associatedData: string): string {
  assertKey(key);
  return open(key, sealed, associatedData).toString('utf8');
}

/** A Standard Webhooks secret: `whsec_` and base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}
