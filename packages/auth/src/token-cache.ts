import type { Actor } from './claims.js';

export interface TokenCacheOptions {
  /** Entries kept; the least recently used is dropped first. */
  readonly maxEntries?: number;
  /**
   * How long a verified token is trusted without checking it again. Bounds how late a signing
   * key withdrawn elsewhere takes effect in this process.
   */
  readonly maxAgeMs?: number;
}

interface Entry {
  readonly actor: Actor;
  readonly until: number;
}

/**
 * Verified access tokens by their exact text. A busy counter sends the same token with every
 * scan for fifteen minutes; checking its EdDSA signature once per half minute instead of once per
 * request halves the signature work of the verify endpoint. Only tokens that verified are stored,
 * so a flood of forged tokens cannot fill it.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly maxAgeMs: number;

  constructor(options: TokenCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.maxAgeMs = options.maxAgeMs ?? 30_000;
  }

  get(token: string, nowMs: number): Actor | undefined {
    const entry = this.entries.get(token);
    if (entry === undefined) return undefined;
    this.entries.delete(token);
    if (nowMs > entry.until) return undefined;
    this.entries.set(token, entry); // most recently used goes last
    return entry.actor;
  }

  set(token: string, actor: Actor, nowMs: number): void {
    const until = Math.min(actor.expiresAt.getTime(), nowMs + this.maxAgeMs);
    if (until <= nowMs) return;
    this.entries.delete(token);
    this.entries.set(token, { actor, until });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
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
