import { describe, expect, it } from 'vitest';
import { StatusListCache } from '../src/domain/status-lists/status-list-cache.js';

describe('StatusListCache', () => {
  it('builds a list once for concurrent requests and serves it until invalidated', async () => {
    const cache = new StatusListCache(60_000);
    let builds = 0;
    const build = async () => `token-${++builds}`;
    const tokens = await Promise.all(Array.from({ length: 20 }, () => cache.get(0, build)));
    expect(new Set(tokens)).toEqual(new Set(['token-1']));
    expect(await cache.get(1, build)).toBe('token-2');
    cache.invalidate();
    expect(await cache.get(0, build)).toBe('token-3');
  });

  it('rebuilds after its maximum age and does not keep a failed build', async () => {
    const cache = new StatusListCache(0);
    let builds = 0;
    expect(await cache.get(0, async () => `t${++builds}`)).toBe('t1');
    expect(await cache.get(0, async () => `t${++builds}`)).toBe('t2');
    const failing = new StatusListCache(60_000);
    await expect(failing.get(0, async () => Promise.reject(new Error('db down')))).rejects.toThrow(
      'db down',
    );
    expect(await failing.get(0, async () => 'ok')).toBe('ok');
  });
});
