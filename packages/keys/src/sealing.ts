import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** A service's master key: the one secret its operator manages. */
export const MASTER_KEY_BYTES = 32;

/**
 * A 32-byte subkey of a master key for one purpose (HKDF-SHA256, RFC 5869). The service name is
 * the salt, so two services given the same master key by mistake still derive different keys, and
 * each purpose gets its own subkey: a leak of one use's output says nothing about another's key.
 */
export function deriveKey(masterKey: Buffer, service: string, purpose: string): Buffer {
  if (masterKey.length < MASTER_KEY_BYTES) {
    throw new Error(`the ${service} master key must be at least ${MASTER_KEY_BYTES} bytes`);
  }
  return Buffer.from(hkdfSync('sha256', masterKey, `tongban-${service}-v1`, purpose, 32));
}

/** The purpose under which a service's signing keys are sealed at rest. */
export function deriveKeyEncryptionKey(masterKey: Buffer, service: string): Buffer {
  return deriveKey(masterKey, service, 'signing-key-encryption');
}

const VERSION = 'v1';

/**
 * AES-256-GCM with a random 96-bit nonce. The associated data binds a ciphertext to its row
 * (e.g. the kid), so a ciphertext copied onto another row does not decrypt.
 */
export function seal(key: Buffer, plaintext: Buffer | string, associatedData: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return [VERSION, iv, cipher.getAuthTag(), body]
    .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
    .join('.');
}

/** Throws when the key, the associated data or a single byte of the ciphertext differs. */
export function open(key: Buffer, sealed: string, associatedData: string): Buffer {
  const [version, iv, tag, body] = sealed.split('.');
  if (version !== VERSION || !iv || !tag || body === undefined) {
    throw new Error('unrecognised ciphertext');
  }
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(associatedData, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]);
}
