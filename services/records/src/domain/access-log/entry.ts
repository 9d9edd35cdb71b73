import type { AccessLogEntry } from '@tongban/access-log';
import type { AccessLogRow } from '../../db/queries/access-log.js';

/** The entry as the API serializes it (the package's type, with a plain array). */
export type ApiAccessLogEntry = Omit<AccessLogEntry, 'fields'> & { fields: string[] };

/** One listed entry with its proof; see `AccessLogItem` of `@tongban/access-log`. */
export interface ApiAccessLogItem {
  readonly entry: ApiAccessLogEntry;
  readonly leafIndex: number | null;
  readonly inclusionProof: string[] | null;
  readonly treeSize: number | null;
}

/**
 * The one mapping from a stored row to the entry the API returns — and so to the leaf: the
 * sequencer, the list routes and the audit all hash what this returns (ADR 0013), never the row.
 * `request_id` stays out: it is for correlating logs, not part of what was read.
 */
export function toAccessLogEntry(row: AccessLogRow): ApiAccessLogEntry {
  return {
    id: row.id,
    occurredAt: row.occurredAt.toISOString(),
    subjectId: row.subjectId,
    readerKind: row.readerKind as AccessLogEntry['readerKind'],
    reader: row.reader,
    readerDepartment: row.readerDepartment,
    purpose: row.purpose,
    caseId: row.caseId,
    recordId: row.recordId,
    recordType: row.typeCode,
    recordVersion: row.recordVersion,
    fields: [...row.fields],
    outcome: row.outcome,
    denialCode: row.denialCode,
  };
}
