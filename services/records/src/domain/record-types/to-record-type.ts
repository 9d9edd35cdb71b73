import type { RecordTypeRow } from '../../db/queries/record-types.js';

/** How carefully a top-level field is handled: what a policy may release, and to whom. */
export const CLASSIFICATIONS = ['basic', 'personal', 'sensitive'] as const;
export type Classification = (typeof CLASSIFICATIONS)[number];

/** A record type as the API shows it. */
export function toRecordType(row: RecordTypeRow) {
  return {
    code: row.code,
    issuerDepartment: row.issuerDepartment,
    name: { zh: row.nameZh, en: row.nameEn },
    version: row.version,
    fieldSchema: row.fieldSchema as Record<string, unknown>,
    classification: row.classification as Record<string, Classification>,
    createdAt: row.createdAt.toISOString(),
  };
}
