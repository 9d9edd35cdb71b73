import {
  createIdentityClient,
  createRecordsClient,
  createWorkflowClient,
  type IdentityClient,
  type RecordsClient,
  type WorkflowClient,
  type WorkflowPaths,
} from '@tongban/clients';

/**
 * The services as the pages reach them: through the portal's gateway on the page's own origin,
 * with the generated typed clients, so a changed route schema breaks the build, not the page.
 */
export interface Api {
  readonly identity: IdentityClient;
  readonly workflow: WorkflowClient;
  readonly records: RecordsClient;
}

export function createApi(origin: string): Api {
  return {
    identity: createIdentityClient({ baseUrl: `${origin}/api/identity` }),
    workflow: createWorkflowClient({ baseUrl: `${origin}/api/workflow` }),
    records: createRecordsClient({ baseUrl: `${origin}/api/records` }),
  };
}

export type Tracking =
  WorkflowPaths['/v1/track/{trackingCode}']['get']['responses'][200]['content']['application/json'];

/** Crockford base32, as workflow makes them: 20 characters, no I, L, O or U. */
export const TRACKING_CODE = /^[0-9A-HJKMNP-TV-Z]{20}$/;

/**
 * What a person may have typed for a code: spaces and hyphens dropped, letters upper-cased,
 * and the letters Crockford reads as digits (O → 0, I and L → 1) mapped, so that a code read
 * off paper still works. Undefined when it cannot be a tracking code at all.
 */
export function normaliseTrackingCode(input: string): string | undefined {
  const code = input
    .replace(/[\s-]+/g, '')
    .toUpperCase()
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  return TRACKING_CODE.test(code) ? code : undefined;
}

export type TrackResult =
  | { readonly kind: 'found'; readonly tracking: Tracking }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'failed' };

/** The public tracking view of a case: nothing personal is asked for or returned. */
export async function trackCase(api: Api, code: string): Promise<TrackResult> {
  try {
    const res = await api.workflow.GET('/v1/track/{trackingCode}', {
      params: { path: { trackingCode: code } },
    });
    if (res.data) return { kind: 'found', tracking: res.data };
    return res.response.status === 404 ? { kind: 'not_found' } : { kind: 'failed' };
  } catch {
    return { kind: 'failed' };
  }
}

export interface DepartmentName {
  readonly zh: string;
  readonly en: string;
}

/** The city's public department directory, code → names; empty if it cannot be read. */
export async function departmentNames(api: Api): Promise<Map<string, DepartmentName>> {
  const names = new Map<string, DepartmentName>();
  let cursor: string | undefined;
  try {
    // A city has tens of departments; the page cap only guards against a runaway cursor.
    for (let page = 0; page < 10; page++) {
      const res = await api.identity.GET('/v1/departments', {
        params: { query: { limit: 200, ...(cursor ? { cursor } : {}) } },
      });
      if (!res.data) break;
      for (const d of res.data.items) names.set(d.code, d.name);
      cursor = res.data.nextCursor ?? undefined;
      if (!cursor) break;
    }
  } catch {
    // The stage still shows its department code.
  }
  return names;
}

export type ServiceName = keyof Api;

/** Whether a service answers its readiness probe through the gateway. */
export async function serviceState(
  api: Api,
  service: ServiceName,
): Promise<'ready' | 'unavailable' | 'unreachable'> {
  try {
    // Each client is typed by its own service's paths, so each is asked by name.
    const res =
      service === 'identity'
        ? await api.identity.GET('/readyz', {})
        : service === 'workflow'
          ? await api.workflow.GET('/readyz', {})
          : await api.records.GET('/readyz', {});
    return res.response.ok ? 'ready' : 'unavailable';
  } catch {
    return 'unreachable';
  }
}
