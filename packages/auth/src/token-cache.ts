import type { Actor } from './claims.js';

export interface TokenCacheOptions {
  /** Entries kept; the least recently used is dropped first. */
  readonly maxEntries?: number;
  /**
   * How long after its verification a token is trusted without checking its signature again —
   * counted from the verification, never renewed by use. Bounds how late a signing key withdrawn
   * elsewhere takes effect in this process. Default 10 s.
   */
  readonly maxAgeMs?: number;
}

export const DEFAULT_TOKEN_CACHE_MAX_AGE_MS = 10_000;

/** A verification remembered: who the token speaks for and the key that signed it. */
export interface CachedVerification {
  readonly actor: Actor;
  readonly kid: string;
}

interface Entry extends CachedVerification {
  /** Absolute: min(token expiry, verification time + maxAgeMs). */
  readonly until: number;
}

/**
 * Verified access tokens by their exact text. A busy counter sends the same token with every
 * scan; checking its EdDSA signature once per ten seconds instead of once per request saves most
 * of the signature work of the verify endpoint. Only tokens that verified are stored, so a flood
 * of forged tokens cannot fill it.
 *
 * Each entry dies at the time fixed when it was stored, however often it is read: a token used
 * every second is verified again every `maxAgeMs`, against the key set of that moment (ADR 0008).
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly maxAgeMs: number;

  constructor(options: TokenCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.maxAgeMs = options.maxAgeMs ?? DEFAULT_TOKEN_CACHE_MAX_AGE_MS;
  }

  get(token: string, nowMs: number): CachedVerification | undefined {
    const entry = this.entries.get(token);
    if (entry === undefined) return undefined;
    this.entries.delete(token);
    if (nowMs >= entry.until) return undefined;
    // Re-inserted unchanged: a hit moves the entry to the back of the eviction order, never its
    // expiry.
    this.entries.set(token, entry);
    return { actor: entry.actor, kid: entry.kid };
  }

  set(token: string, verification: CachedVerification, nowMs: number): void {
    const until = Math.min(verification.actor.expiresAt.getTime(), nowMs + this.maxAgeMs);
    if (until <= nowMs) return;
    this.entries.delete(token);
    this.entries.set(token, { actor: verification.actor, kid: verification.kid, until });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  /** Forgets every token signed by `kid`: the key no longer resolves, so none of them may pass. */
  forgetKid(kid: string): void {
    for (const [token, entry] of this.entries) {
      if (entry.kid === kid) this.entries.delete(token);
    }
  }

  /** Forget everything, e.g. when a signing key is withdrawn. */
  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
