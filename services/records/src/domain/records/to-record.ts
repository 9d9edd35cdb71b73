import { etagOf } from '@tongban/service-kit';
import type { RecordRow, RecordVersionRow } from '../../db/queries/records.js';

/**
 * A record as the API shows it: its head (type, subject, issuer, status) with the data and
 * digest of the version it is at. The one row→API mapping for records, for every route that
 * returns one (writes, reads, certificates).
 */
export function toRecord(head: RecordRow, version: RecordVersionRow) {
  return {
    id: head.id,
    type: head.typeCode,
    subjectId: head.subjectId,
    issuerDepartment: head.issuerDepartment,
    status: head.status,
    version: version.version,
    digest: version.digest,
    data: version.data as Record<string, unknown>,
    publishedAt: version.publishedAt.toISOString(),
    createdAt: head.createdAt.toISOString(),
    updatedAt: head.updatedAt.toISOString(),
    ...(head.revokedAt === null ? {} : { revokedAt: head.revokedAt.toISOString() }),
    ...(head.revokeReason === null ? {} : { revokeReason: head.revokeReason }),
  };
}

export type RecordView = ReturnType<typeof toRecord>;

/**
 * A record's strong entity tag. `"<id>.v<version>"` (service-kit's etagOf) while it is active;
 * revocation changes the representation without adding a data version, so a revoked record's
 * tag carries the status too, and a tag read before the revocation no longer matches.
 */
export function recordEtag(head: Pick<RecordRow, 'id' | 'version' | 'status'>): string {
  return head.status === 'revoked' ? `"${head.id}.v${head.version}.revoked"` : etagOf(head);
}
