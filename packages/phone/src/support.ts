/** A failure the person at the terminal can act on; the CLI prints its message, not a stack. */
export class PhoneError extends Error {}

export interface PhoneIo {
  readonly fetch: (request: Request) => Promise<Response>;
  readonly writeFile: (path: string, data: Uint8Array) => Promise<void>;
  readonly fileExists: (path: string) => Promise<boolean>;
  readonly now: () => Date;
}

export const REQUEST_TIMEOUT_MS = 15_000;

const PUBLIC_URLS = {
  identity: 'IDENTITY_PUBLIC_URLS',
  records: 'RECORDS_PUBLIC_URLS',
  workflow: 'WORKFLOW_PUBLIC_URLS',
} as const;
const EXAMPLES = {
  identity: 'http://127.0.0.1:3001 rather than http://localhost:3001',
  records: 'http://127.0.0.1:3003 rather than http://localhost:3003',
  workflow: 'http://127.0.0.1:3002 rather than http://localhost:3002',
} as const;

/** A service's refusal as one sentence: its problem code and detail, and what to try. */
export function refused(
  service: keyof typeof PUBLIC_URLS,
  what: string,
  res: { response: Response; error?: unknown },
  flag = `--${service}`,
): PhoneError {
  const body = (res.error ?? {}) as { code?: unknown; detail?: unknown };
  const code = typeof body.code === 'string' ? body.code : `HTTP ${res.response.status}`;
  const detail = typeof body.detail === 'string' ? `: ${body.detail}` : '';
  const hint =
    code === 'invalid_dpop_proof'
      ? ` (the proof names the ${flag} URL; it must be one of ${service}'s ${PUBLIC_URLS[service]}, e.g. ${EXAMPLES[service]})`
      : '';
  return new PhoneError(`${service} refused ${what} (${code})${detail}${hint}`);
}

/** A base URL without its trailing slashes, as the service compares proofs' `htu` with it. */
export function normaliseUrl(url: string, flag: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new PhoneError(`${flag} is not a URL: ${url}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new PhoneError(`${flag} must be an http(s) URL: ${url}`);
  }
  return url.replace(/\/+$/, '');
}

export function reason(cause: unknown): string {
  if (cause instanceof Error) {
    if (cause.name === 'TimeoutError') return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
    // fetch says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND…) is its cause.
    const inner = (cause as { cause?: unknown }).cause;
    if (inner instanceof Error) {
      const code = (inner as { code?: unknown }).code;
      return inner.message || (typeof code === 'string' ? code : cause.message);
    }
    return cause.message;
  }
  return String(cause);
}

/**
 * The fetch a typed client gets: a hung service must not hang the terminal (each call is bounded
 * in time), and a refused connection becomes a sentence naming the service.
 */
export function boundedFetch(
  io: PhoneIo,
  service: string,
  baseUrl: string,
): (request: Request) => Promise<Response> {
  return async (request) => {
    try {
      return await io.fetch(
        new Request(request, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) }),
      );
    } catch (cause) {
      throw new PhoneError(`cannot reach ${service} at ${baseUrl}: ${reason(cause)}`);
    }
  };
}
