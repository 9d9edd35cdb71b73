export interface FailureThrottleOptions {
  /** Refused tokens allowed per address per window before the address is told to slow down. */
  readonly max?: number;
  readonly windowMs?: number;
  /** Addresses tracked at once; the oldest windows are forgotten first. */
  readonly maxAddresses?: number;
}

interface Window {
  start: number;
  failures: number;
}

/**
 * Counts refused access tokens per client address. Authentication runs before the service's
 * per-actor rate limit (which needs to know the actor), so without this an address could try
 * forged or stolen tokens as fast as the service can check signatures.
 */
export class FailureThrottle {
  private readonly windows = new Map<string, Window>();
  private readonly max: number;
  private readonly windowMs: number;
  private readonly maxAddresses: number;

  constructor(options: FailureThrottleOptions = {}) {
    this.max = options.max ?? 60;
    this.windowMs = options.windowMs ?? 60_000;
    this.maxAddresses = options.maxAddresses ?? 50_000;
  }

  /** Seconds until the address may try again, or 0 when it may try now. */
  retryAfter(address: string, nowMs: number): number {
    const window = this.windows.get(address);
    if (window === undefined || nowMs - window.start >= this.windowMs) return 0;
    return window.failures >= this.max
      ? Math.ceil((window.start + this.windowMs - nowMs) / 1000)
      : 0;
  }

  recordFailure(address: string, nowMs: number): void {
    const window = this.windows.get(address);
    if (window === undefined || nowMs - window.start >= this.windowMs) {
      this.windows.delete(address);
      this.windows.set(address, { start: nowMs, failures: 1 });
      while (this.windows.size > this.maxAddresses) {
        const oldest = this.windows.keys().next().value;
        if (oldest === undefined) break;
        this.windows.delete(oldest);
      }
      return;
    }
    window.failures++;
  }
}
