import { createHash, createHmac, randomBytes } from 'node:crypto';
import { deriveKey } from '@tongban/keys';

/**
 * Identity's secrets besides its signing keys, all derived from its one master key with the keys
 * package's HKDF (the signing keys' own encryption key is derived there too), so an operator
 * manages a single secret and each purpose gets its own subkey.
 */
export interface Secrets {
  /** Keyed hash of ID document numbers, for uniqueness without storing them in clear. */
  readonly idLookupKey: Buffer;
  /** Encrypts ID document numbers kept for display. */
  readonly idEncryptionKey: Buffer;
  /** Encrypts stored responses replayed to idempotent retries (they can carry activation codes). */
  readonly responseSealKey: Buffer;
}

export function deriveSecrets(masterKey: Buffer): Secrets {
  const derive = (purpose: string) => deriveKey(masterKey, 'identity', purpose);
  return {
    idLookupKey: derive('id-number-lookup'),
    idEncryptionKey: derive('id-number-encryption'),
    responseSealKey: derive('idempotent-response-encryption'),
  };
}

export function keyedHash(key: Buffer, value: string): string {
  return createHmac('sha256', key).update(value, 'utf8').digest('base64url');
}

export function sha256(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('base64url');
}

/** base64url of n random bytes: ids, codes, secrets. */
export function randomToken(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}
