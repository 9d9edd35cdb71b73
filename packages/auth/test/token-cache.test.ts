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

describe('VerifiedTokenCache', () => {
  it('serves a token until its max age, and never past the token expiry', () => {
    const cache = new VerifiedTokenCache({ maxAgeMs: 30_000 });
    cache.set('a', actor(1_000_000), 0);
    expect(cache.get('a', 30_000)?.subject).toBe('s');
    expect(cache.get('a', 30_001)).toBeUndefined();
    cache.set('b', actor(10_000), 0);
    expect(cache.get('b', 10_000)).toBeDefined();
    expect(cache.get('b', 10_001)).toBeUndefined();
  });

  it('drops the least recently used token beyond its capacity', () => {
    const cache = new VerifiedTokenCache({ maxEntries: 2 });
    cache.set('a', actor(1e9), 0);
    cache.set('b', actor(1e9), 0);
    cache.get('a', 1);
    cache.set('c', actor(1e9), 2);
    expect(cache.get('b', 3)).toBeUndefined();
    expect(cache.get('a', 3)).toBeDefined();
    expect(cache.size).toBe(2);
  });

  it('forgets everything on clear', () => {
    const cache = new VerifiedTokenCache();
    cache.set('a', actor(1e9), 0);
    cache.clear();
    expect(cache.get('a', 1)).toBeUndefined();
  });
});
