import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JSONWebKeySet } from 'jose';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface JwksServer {
  readonly url: string;
  /** Every request the server received, whatever its path. */
  readonly requests: number;
  setKeys(jwks: JSONWebKeySet): void;
  /** Replaces the JWKS answer, e.g. with an error or a hostile body. */
  setHandler(handler: Handler): void;
  close(): Promise<void>;
}

/** A real JWKS endpoint on 127.0.0.1, so fetching (and not fetching) is observable. */
export async function startJwksServer(initial: JSONWebKeySet = { keys: [] }): Promise<JwksServer> {
  let jwks = initial;
  let requests = 0;
  const serveJwks: Handler = (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(jwks));
  };
  let handler = serveJwks;
  const server = createServer((req, res) => {
    requests += 1;
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    get requests() {
      return requests;
    },
    setKeys(next) {
      jwks = next;
      handler = serveJwks;
    },
    setHandler(next) {
      handler = next;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** A clock tests move by hand. */
export function manualClock(start = Date.parse('2030-01-15T09:00:00Z')) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}
