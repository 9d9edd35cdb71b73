import { describe, expect, it } from 'vitest';
import type { Actor } from '../src/index.js';
import { VerifiedTokenCache } from '../src/index.js';

const actor = (expiresAt: number): Actor =>
  ({
    kind: 'staff',
    subject: 's',
    department: 'health',
    roles: ['counter_clerk'],
    scopes: new Set(),
    clientId: 'c',
    tokenId: 't',
    expiresAt: new Date(expiresAt),
  }) as Actor;

const entry = (expiresAt: number, kid = 'k1') => ({ actor: actor(expiresAt), kid });

describe('VerifiedTokenCache', () => {
  it('serves a token until its max age, and never past the token expiry', () => {
    const cache = new VerifiedTokenCache({ maxAgeMs: 30_000 });
    cache.set('a', entry(1_000_000), 0);
    expect(cache.get('a', 29_999)?.actor.subject).toBe('s');
    expect(cache.get('a', 30_000)).toBeUndefined();
    cache.set('b', entry(10_000), 0);
    expect(cache.get('b', 9_999)).toBeDefined();
    expect(cache.get('b', 10_000)).toBeUndefined();
  });

  it('keeps a verification 10 s by default', () => {
    const cache = new VerifiedTokenCache();
    cache.set('a', entry(1e9), 0);
    expect(cache.get('a', 9_999)).toBeDefined();
    expect(cache.get('a', 10_000)).toBeUndefined();
  });

  it('expires an entry at the absolute time set when it was stored, however often it is hit (defect 5)', () => {
    const cache = new VerifiedTokenCache({ maxAgeMs: 10_000 });
    cache.set('a', entry(1e9), 1_000);
    // A token re-used every 100 ms: every hit succeeds until 11 000 and none moves that time.
    for (let t = 1_000; t < 11_000; t += 100) {
      expect(cache.get('a', t)?.kid).toBe('k1');
    }
    expect(cache.get('a', 11_000)).toBeUndefined();
    expect(cache.get('a', 11_001)).toBeUndefined();
  });

  it('forgets every token signed by a kid, and only those', () => {
    const cache = new VerifiedTokenCache();
    cache.set('a', entry(1e9, 'old'), 0);
    cache.set('b', entry(1e9, 'old'), 0);
    cache.set('c', entry(1e9, 'new'), 0);
    cache.forgetKid('old');
    expect(cache.get('a', 1)).toBeUndefined();
    expect(cache.get('b', 1)).toBeUndefined();
    expect(cache.get('c', 1)?.kid).toBe('new');
    expect(cache.size).toBe(1);
  });

  it('drops the least recently used token beyond its capacity', () => {
    const cache = new VerifiedTokenCache({ maxEntries: 2 });
    cache.set('a', entry(1e9), 0);
    cache.set('b', entry(1e9), 0);
    cache.get('a', 1);
    cache.set('c', entry(1e9), 2);
    expect(cache.get('b', 3)).toBeUndefined();
    expect(cache.get('a', 3)).toBeDefined();
    expect(cache.size).toBe(2);
  });

  it('forgets everything on clear', () => {
    const cache = new VerifiedTokenCache();
    cache.set('a', entry(1e9), 0);
    cache.clear();
    expect(cache.get('a', 1)).toBeUndefined();
  });
});
