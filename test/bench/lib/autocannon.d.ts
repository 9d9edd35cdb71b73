// autocannon ships no types, and @types/autocannon trails it by two majors. This declares only
// the part of its programmatic API the benches use (autocannon 9, lib/run.js and aggregateResult).
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  export interface RequestParams {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
  }

  export interface Request extends RequestParams {
    /** Called before every request a connection sends; must return a request (never falsy). */
    setupRequest?: (request: RequestParams, context: Record<string, unknown>) => RequestParams;
    onResponse?: (
      status: number,
      body: string,
      context: Record<string, unknown>,
      headers: Record<string, string | string[]>,
    ) => void;
  }

  export interface Options extends RequestParams {
    url: string;
    connections?: number;
    pipelining?: number;
    /** Seconds; ignored when `amount` is set. */
    duration?: number;
    /** Total requests; when set, `duration` is ignored. */
    amount?: number;
    /** Total requests, spread over the connections; `duration` still applies. */
    maxOverallRequests?: number;
    /** Seconds. */
    timeout?: number;
    requests?: Request[];
  }

  export interface Histogram {
    readonly average: number;
    readonly mean: number;
    readonly stddev: number;
    readonly min: number;
    readonly max: number;
    readonly total: number;
    readonly p50: number;
    readonly p90: number;
    readonly p97_5: number;
    readonly p99: number;
  }

  export interface Result {
    readonly duration: number;
    readonly start: Date;
    readonly finish: Date;
    readonly errors: number;
    readonly timeouts: number;
    readonly non2xx: number;
    readonly resets: number;
    readonly '2xx': number;
    readonly statusCodeStats: Record<string, { count: number }>;
    readonly latency: Histogram & { readonly totalCount: number };
    readonly requests: Histogram & { readonly sent: number };
    readonly throughput: Histogram;
  }

  export interface Instance extends EventEmitter, PromiseLike<Result> {
    stop(): void;
  }

  function autocannon(options: Options): Instance;
  export default autocannon;
}
