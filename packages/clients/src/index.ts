import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { paths as IdentityPaths } from './generated/identity.js';
import type { paths as RecordsPaths } from './generated/records.js';
import type { paths as WorkflowPaths } from './generated/workflow.js';

export type { IdentityPaths, RecordsPaths, WorkflowPaths };
export type IdentityClient = Client<IdentityPaths>;
export type RecordsClient = Client<RecordsPaths>;
export type WorkflowClient = Client<WorkflowPaths>;

/** A bearer token, or a function that returns the current one (access tokens live 15 minutes). */
export type TokenSource = string | (() => string | undefined | Promise<string | undefined>);

export interface ClientOptions {
  /** The service's base URL, e.g. `http://127.0.0.1:3003` or `http://127.0.0.1:3000/api/records`. */
  readonly baseUrl: string;
  /** Defaults to the global fetch; tests pass `injectFetch(app)` from `@tongban/clients/testing`. */
  readonly fetch?: (request: Request) => Promise<Response>;
  /** Sent as `Authorization: Bearer …` unless a call sets its own Authorization header. */
  readonly token?: TokenSource;
  /** Headers sent with every request (a call's own headers win). */
  readonly headers?: Record<string, string>;
}

/** Adds `Authorization: Bearer <token>` to every request that does not carry one already. */
export function bearerAuth(token: TokenSource): Middleware {
  return {
    async onRequest({ request }) {
      if (request.headers.has('authorization')) return undefined;
      const value = typeof token === 'function' ? await token() : token;
      if (value) request.headers.set('authorization', `Bearer ${value}`);
      return request;
    },
  };
}

function create<Paths extends {}>(options: ClientOptions): Client<Paths> {
  const client = createClient<Paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.headers ? { headers: options.headers } : {}),
  });
  if (options.token !== undefined) client.use(bearerAuth(options.token));
  return client;
}

/** Identity: residents, devices, presentations, credentials, staff and client authentication. */
export function createIdentityClient(options: ClientOptions): IdentityClient {
  return create<IdentityPaths>(options);
}

/** Records: record types, certified records, consent, access log. */
export function createRecordsClient(options: ClientOptions): RecordsClient {
  return create<RecordsPaths>(options);
}

/** Workflow: the service catalogue, cases and department tasks. */
export function createWorkflowClient(options: ClientOptions): WorkflowClient {
  return create<WorkflowPaths>(options);
}
