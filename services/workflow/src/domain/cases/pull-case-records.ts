import { createRecordsClient } from '@tongban/clients';
import type { SigningKeyStore } from '@tongban/keys';
import { isApiError } from '@tongban/service-kit';
import { problem } from '../../errors.js';
import { issueCaseGrant } from '../case-grants/issue-case-grant.js';

/** A record type a case needs, for one step of its service (a catalogue `recordTypes` entry). */
export interface RecordNeed {
  readonly type: string;
  readonly step: string;
}

/** A record the case relies on, pinned to the version read: the case references, never copies. */
export interface RecordReference {
  type: string;
  step: string;
  recordId: string;
  version: number;
  /** records' digest of that version's complete data (SHA-256 of its canonical JSON). */
  digest: string;
  issuerDepartment: string;
}

/** A needed record the subject does not hold; null issuer when records knows no such type. */
export interface MissingRecord {
  type: string;
  step: string;
  issuerDepartment: string | null;
}

export interface PulledRecords {
  references: RecordReference[];
  missing: MissingRecord[];
}

export type RecordPuller = (input: {
  caseId: string;
  subjectId: string;
  needs: readonly RecordNeed[];
}) => Promise<PulledRecords>;

/** Each call to records gets this long; a case is not opened on a records service that hangs. */
export const RECORDS_CALL_TIMEOUT_MS = 5_000;
const PAGE_SIZE = 200;
// A subject holds a handful of records of a type; more pages than this is not a real answer.
const MAX_PAGES = 10;

type Found =
  | {
      readonly kind: 'held';
      readonly recordId: string;
      readonly version: number;
      readonly digest: string;
      readonly issuerDepartment: string;
    }
  | { readonly kind: 'missing'; readonly issuerDepartment: string | null };

const unavailable = () =>
  problem('records_unavailable', 'The records this case needs cannot be read just now.');

/**
 * Pulls the records a case needs when it is opened: one case grant (workflow's own signature,
 * for `department`, every distinct type), then one read per distinct type with purpose
 * `case:<caseId>`, so records logs each read against the case where the resident sees it. The
 * newest active record of a type becomes a reference (id, version, digest, issuer) for every
 * step that needs it; a type the subject does not hold is listed missing with its issuing
 * department, so the counter can say who issues it.
 *
 * Records is a dependency the case cannot be opened without: a refused connection, a timeout, a
 * 5xx or any answer other than those expected becomes `records_unavailable`, with no detail of
 * what went wrong (that stays with records). Problems workflow raised itself (the token source's)
 * pass through as they are.
 */
export function recordPuller(options: {
  recordsUrl: string;
  token: () => Promise<string>;
  keys: SigningKeyStore;
  clock: () => Date;
  department: string;
  fetch?: typeof fetch;
}): RecordPuller {
  const send = options.fetch ?? fetch;
  const records = createRecordsClient({
    baseUrl: options.recordsUrl,
    token: options.token,
    fetch: (request) =>
      send(new Request(request, { signal: AbortSignal.timeout(RECORDS_CALL_TIMEOUT_MS) })),
  });

  async function call<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (isApiError(err)) throw err;
      throw unavailable();
    }
  }

  /** The issuing department of a type from records' public catalogue; null for an unknown type. */
  async function issuerOf(type: string): Promise<string | null> {
    const res = await call(() =>
      records.GET('/v1/record-types/{code}', { params: { path: { code: type } } }),
    );
    if (res.response.status === 404) return null;
    const issuer = res.data?.issuerDepartment;
    if (res.response.status !== 200 || typeof issuer !== 'string') throw unavailable();
    return issuer;
  }

  async function pullType(
    input: { caseId: string; subjectId: string },
    type: string,
    grant: string,
  ): Promise<Found> {
    let newest: Found | undefined;
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const res = await call(() =>
        records.GET('/v1/records', {
          params: {
            query: {
              subjectId: input.subjectId,
              type,
              purpose: `case:${input.caseId}`,
              limit: PAGE_SIZE,
              ...(cursor === undefined ? {} : { cursor }),
            },
            header: { 'case-grant': grant },
          },
        }),
      );
      if (res.response.status === 400) {
        // Records answers an unknown type as a bad query: missing with no issuer, once its own
        // catalogue confirms the type does not exist. Any other 400 is ours to fix, not the
        // resident's, and not a reason to open the case without the record.
        if (page === 0 && (await issuerOf(type)) === null) {
          return { kind: 'missing', issuerDepartment: null };
        }
        throw unavailable();
      }
      const items = res.response.status === 200 ? res.data?.items : undefined;
      if (!Array.isArray(items)) throw unavailable();
      // Listed oldest first: the last active one on the last page is the newest.
      for (const item of items) {
        if (item.status !== 'active') continue;
        if (
          typeof item.id !== 'string' ||
          !Number.isInteger(item.version) ||
          typeof item.digest !== 'string' ||
          typeof item.issuerDepartment !== 'string'
        ) {
          throw unavailable();
        }
        newest = {
          kind: 'held',
          recordId: item.id,
          version: item.version,
          digest: item.digest,
          issuerDepartment: item.issuerDepartment,
        };
      }
      cursor = res.data?.nextCursor ?? undefined;
      if (cursor === undefined) {
        return newest ?? { kind: 'missing', issuerDepartment: await issuerOf(type) };
      }
    }
    throw unavailable();
  }

  return async ({ caseId, subjectId, needs }) => {
    const types = [...new Set(needs.map((n) => n.type))];
    if (types.length === 0) return { references: [], missing: [] };
    const { token: grant } = await issueCaseGrant({
      keys: options.keys,
      clock: options.clock,
      input: { caseId, subjectId, department: options.department, types },
    });
    const pulled = await Promise.all(
      types.map(
        async (type) => [type, await pullType({ caseId, subjectId }, type, grant)] as const,
      ),
    );
    const byType = new Map(pulled);
    const result: PulledRecords = { references: [], missing: [] };
    const seen = new Set<string>();
    for (const need of needs) {
      const key = JSON.stringify([need.type, need.step]);
      if (seen.has(key)) continue;
      seen.add(key);
      const found = byType.get(need.type);
      if (found === undefined) continue;
      if (found.kind === 'held') {
        const { kind: _kind, ...reference } = found;
        result.references.push({ type: need.type, step: need.step, ...reference });
      } else {
        result.missing.push({
          type: need.type,
          step: need.step,
          issuerDepartment: found.issuerDepartment,
        });
      }
    }
    return result;
  };
}
