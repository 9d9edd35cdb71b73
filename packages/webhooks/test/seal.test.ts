import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newWebhookSecret, openSecret, sealSecret } from '../src/seal.js';

describe('sealSecret', () => {
  const key = randomBytes(32);

  it('round-trips a secret and never stores it in the clear', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const sealed = sealSecret(key, secret, 'sub-1');
    expect(sealed).not.toContain(secret.slice(6));
    expect(openSecret(key, sealed, 'sub-1')).toBe(secret);
    expect(sealSecret(key, secret, 'sub-1')).not.toBe(sealed);
  });

  it('does not open under another subscription id, another key, or after tampering', () => {
    const sealed = sealSecret(key, newWebhookSecret(), 'sub-1');
    expect(() => openSecret(key, sealed, 'sub-2')).toThrow();
    expect(() => openSecret(randomBytes(32), sealed, 'sub-1')).toThrow();
    const raw = Buffer.from(sealed, 'base64url');
    raw[raw.length - 1] = (raw[raw.length - 1] ?? 0) ^ 1;
    expect(() => openSecret(key, raw.toString('base64url'), 'sub-1')).toThrow();
  });

  it('refuses a key that is not 32 bytes', () => {
    expect(() => sealSecret(randomBytes(16), 'x', 'sub-1')).toThrow(/32 bytes/);
  });
});
