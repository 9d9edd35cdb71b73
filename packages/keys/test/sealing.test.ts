import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveKey, deriveKeyEncryptionKey, open, seal } from '../src/index.js';

describe('deriveKey', () => {
  // Pinned vectors: identity's stored signing keys and ID numbers were sealed under these
  // derivations before the move to this package. A change here makes existing data unreadable.
  it('derives the subkeys identity has always used from its master key', () => {
    const master = Buffer.alloc(32, 7);
    expect(deriveKeyEncryptionKey(master, 'identity').toString('hex')).toBe(
      'df9e2f22a1fffd53e4a48dcf879fb3de92e0709d10be818dfbeced318fd9af8e',
    );
    expect(deriveKey(master, 'identity', 'id-number-lookup').toString('hex')).toBe(
      '1a550aaea0902109aa267afc09d34b7fa9edb74a802b8751e60747dba85d5a6f',
    );
  });

  it('gives each service and each purpose its own key, and refuses a short master key', () => {
    const master = randomBytes(32);
    const keys = [
      deriveKeyEncryptionKey(master, 'records'),
      deriveKeyEncryptionKey(master, 'workflow'),
      deriveKey(master, 'records', 'another-purpose'),
    ].map((k) => k.toString('hex'));
    expect(new Set(keys).size).toBe(3);
    expect(() => deriveKey(randomBytes(16), 'records', 'x')).toThrow(/at least 32 bytes/);
  });
});

describe('seal / open', () => {
  it('round-trips, and refuses another key, other associated data or a flipped byte', () => {
    const key = randomBytes(32);
    const sealed = seal(key, 'private half', 'kid-1');
    expect(sealed).not.toContain('private half');
    expect(open(key, sealed, 'kid-1').toString('utf8')).toBe('private half');
    expect(seal(key, 'private half', 'kid-1')).not.toBe(sealed);
    expect(() => open(randomBytes(32), sealed, 'kid-1')).toThrow();
    expect(() => open(key, sealed, 'kid-2')).toThrow();
    const parts = sealed.split('.');
    const body = Buffer.from(parts[3] ?? '', 'base64url');
    body[0] = (body[0] ?? 0) ^ 1;
    const tampered = [...parts.slice(0, 3), body.toString('base64url')].join('.');
    expect(() => open(key, tampered, 'kid-1')).toThrow();
    expect(() => open(key, 'v0.a.b.c', 'kid-1')).toThrow(/unrecognised ciphertext/);
  });
});
