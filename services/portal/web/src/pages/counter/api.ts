import type { WorkflowPaths } from '@tongban/clients';
import type { StaffApi } from '../../staff-session.js';

/** A resident the clerk verified: by a scanned QR code or by their ID document in person. */
export interface Verified {
  readonly method: 'presentation' | 'in_person';
  readonly verificationId: string;
  readonly subjectId: string;
  readonly verifiedAt: string;
  readonly counter: string;
  readonly attributes: Readonly<Record<string, string>>;
}

export type Outcome<T> =
  | { readonly ok: true; readonly value: T }
  | {
      readonly ok: false;
      readonly code: string;
      readonly errors?: readonly { field: string; message: string }[];
    };

export type Case =
  WorkflowPaths['/v1/cases']['get']['responses'][200]['content']['application/json']['items'][number];
export type Service =
  WorkflowPaths['/v1/services']['get']['responses'][200]['content']['application/json']['items'][number];

/** The problem code of a refusal (RFC 9457 `code`), or `unavailable` when there is none. */
function refusal<T>(res: { error?: unknown }): Outcome<T> {
  const problem = (res.error ?? {}) as { code?: unknown; errors?: unknown };
  const code = typeof problem.code === 'string' ? problem.code : 'unavailable';
  const errors = Array.isArray(problem.errors)
    ? problem.errors.filter(
        (e): e is { field: string; message: string } =>
          typeof e === 'object' &&
          e !== null &&
          typeof (e as { field?: unknown }).field === 'string' &&
          typeof (e as { message?: unknown }).message === 'string',
      )
    : undefined;
  return { ok: false, code, ...(errors?.length ? { errors } : {}) };
}

async function attempt<T>(run: () => Promise<Outcome<T>>): Promise<Outcome<T>> {
  try {
    return await run();
  } catch {
    return { ok: false, code: 'unavailable' };
  }
}

/** POST /v1/presentations/verify: consumes the scanned code and names the resident. */
export function verifyPresentation(
  api: StaffApi,
  token: string,
  counter: string,
): Promise<Outcome<Verified>> {
  return attempt(async () => {
    const res = await api.identity.POST('/v1/presentations/verify', {
      body: { token, ...(counter ? { counter } : {}) },
    });
    if (!res.data) return refusal(res);
    const { verificationId, subjectId, verifiedAt, attributes } = res.data;
    const shown: Record<string, string> = {};
    for (const [name, value] of Object.entries(attributes)) {
      if (typeof value === 'string' && value !== '') shown[name] = value;
    }
    return {
      ok: true,
      value: {
        method: 'presentation',
        verificationId,
        subjectId,
        verifiedAt,
        counter,
        attributes: shown,
      },
    };
  });
}

/** POST /v1/verifications/in-person: the clerk checked the physical ID document. */
export function verifyInPerson(
  api: StaffApi,
  input: { idDocumentType: string; idNumber: string; counter: string },
): Promise<Outcome<Verified>> {
  return attempt(async () => {
    const res = await api.identity.POST('/v1/verifications/in-person', {
      body: {
        idDocumentType: input.idDocumentType as 'resident_id_card',
        idNumber: input.idNumber,
        counter: input.counter,
      },
    });
    if (!res.data) return refusal(res);
    const { verificationId, subjectId, verifiedAt } = res.data;
    return {
      ok: true,
      value: {
        method: 'in_person',
        verificationId,
        subjectId,
        verifiedAt,
        counter: input.counter,
        attributes: {},
      },
    };
  });
}

/** The resident's cases, newest first (the first 100), through the verification. */
export function residentCases(api: StaffApi, verified: Verified): Promise<Outcome<Case[]>> {
  return attempt(async () => {
    const res = await api.workflow.GET('/v1/cases', {
      params: {
        query: {
          subjectId: verified.subjectId,
          verificationId: verified.verificationId,
          limit: 100,
        },
      },
    });
    return res.data ? { ok: true, value: res.data.items } : refusal(res);
  });
}

/** The service catalogue (public), every page of it. */
export function services(api: StaffApi): Promise<Outcome<Service[]>> {
  return attempt(async () => {
    const items: Service[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const res = await api.workflow.GET('/v1/services', {
        params: { query: { limit: 200, ...(cursor ? { cursor } : {}) } },
      });
      if (!res.data) return refusal(res);
      items.push(...res.data.items);
      cursor = res.data.nextCursor ?? undefined;
      if (!cursor) break;
    }
    return { ok: true, value: items };
  });
}

/** POST /v1/cases for the verified resident; the key makes a repeated click one application. */
export function submitCase(
  api: StaffApi,
  input: {
    service: string;
    verified: Verified;
    form: Record<string, unknown>;
    idempotencyKey: string;
  },
): Promise<Outcome<Case>> {
  return attempt(async () => {
    const res = await api.workflow.POST('/v1/cases', {
      headers: { 'idempotency-key': input.idempotencyKey },
      body: {
        service: input.service,
        subjectId: input.verified.subjectId,
        verificationId: input.verified.verificationId,
        form: input.form,
      },
    });
    return res.data ? { ok: true, value: res.data } : refusal(res);
  });
}

/** The printable receipt (SVG) as a blob, fetched with the clerk's token. */
export function receipt(api: StaffApi, caseId: string): Promise<Outcome<Blob>> {
  return attempt(async () => {
    const res = await api.workflow.GET('/v1/cases/{id}/receipt.svg', {
      params: { path: { id: caseId } },
      parseAs: 'blob',
    });
    return res.data instanceof Blob ? { ok: true, value: res.data } : refusal(res);
  });
}
