import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hkdfSync,
  randomBytes,
} from 'node:crypto';

/**
 * Identity's secrets, all derived from one master key (HKDF-SHA256, RFC 5869) so an operator
 * manages a single secret. Each purpose gets its own subkey: a leak of one use's output says
 * nothing about another's key.
 */
export interface Secrets {
  /** Encrypts the platform's private signing keys at rest. */
  readonly keyEncryptionKey: Buffer;
  /** Keyed hash of ID document numbers, for uniqueness without storing them in clear. */
  readonly idLookupKey: Buffer;
  /** Encrypts ID document numbers kept for display. */
  readonly idEncryptionKey: Buffer;
  /** Encrypts stored responses replayed to idempotent retries (they can carry activation codes). */
  readonly responseSealKey: Buffer;
}

export const MASTER_KEY_BYTES = 32;

export function deriveSecrets(masterKey: Buffer): Secrets {
  if (masterKey.length < MASTER_KEY_BYTES) {
    throw new Error(`the identity master key must be at least ${MASTER_KEY_BYTES} bytes`);
  }
  const derive = (purpose: string) =>
    Buffer.from(hkdfSync('sha256', masterKey, 'tongban-identity-v1', purpose, 32));
  return {
    keyEncryptionKey: derive('signing-key-encryption'),
    idLookupKey: derive('id-number-lookup'),
    idEncryptionKey: derive('id-number-encryption'),
    responseSealKey: derive('idempotent-response-encryption'),
  };
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
