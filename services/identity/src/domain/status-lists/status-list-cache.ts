/**
 * Signed status lists, kept a few seconds per list. Building one costs a scan of the non-valid
 * credentials, a 1 Mi-entry array, zlib and a signature (a few ms of CPU): without this, an
 * anonymous endpoint would be an easy way to burn the service's CPU. Concurrent requests for a
 * list being built share the build. A status change in this process drops the cache; other
 * replicas serve a list at most `maxAgeMs` older, well inside the list's own `ttl`, and online
 * verification never reads lists at all.
 */
export class StatusListCache {
  private readonly entries = new Map<
    number,
    { readonly builtAt: number; readonly token: Promise<string> }
  >();

  constructor(private readonly maxAgeMs = 5_000) {}

  get(listNumber: number, build: () => Promise<string>): Promise<string> {
    const entry = this.entries.get(listNumber);
    if (entry && Date.now() - entry.builtAt < this.maxAgeMs) return entry.token;
    const token = build();
    this.entries.set(listNumber, { builtAt: Date.now(), token });
    // A failed build is not remembered.
    token.catch(() => {
      if (this.entries.get(listNumber)?.token === token) this.entries.delete(listNumber);
    });
    return token;
  }

  invalidate(): void {
    this.entries.clear();
  }
}
