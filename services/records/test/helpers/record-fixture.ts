import { createHash } from 'node:crypto';
import type { Db } from '@tongban/db';
import { uuidV7 } from '@tongban/service-kit';
import canonicalize from 'canonicalize';
import { recordsTable, recordVersions } from '../../src/db/schema.js';

/**
 * TEST FIXTURE. Records are published through `POST /v1/records`; until that route exists on this
 * branch, read tests put records straight into `records` and `record_versions` here, with the
 * digest the API would compute. Nothing outside tests writes records this way.
 */
export interface RecordFixture {
  readonly typeCode: string;
  readonly subjectId: string;
  readonly issuerDepartment: string;
  /** Version 1 first; the last one is the record's current version. */
  readonly versions: readonly Record<string, unknown>[];
  readonly at: Date;
  readonly revoked?: { readonly at: Date; readonly reason: string };
}

/** ADR 0013: SHA-256 over the RFC 8785 canonical JSON of the data, base64url. */
export function recordDigest(data: unknown): string {
  const canonical = canonicalize(data);
  if (canonical === undefined) throw new TypeError('record data is not JSON');
  return createHash('sha256').update(canonical, 'utf8').digest('base64url');
}

export async function insertRecordFixture(
  db: Db,
  fixture: RecordFixture,
): Promise<{ readonly id: string; readonly digests: readonly string[] }> {
  const id = uuidV7(fixture.at);
  const digests = fixture.versions.map(recordDigest);
  await db.transaction(async (tx) => {
    await tx.insert(recordsTable).values({
      id,
      typeCode: fixture.typeCode,
      subjectId: fixture.subjectId,
      issuerDepartment: fixture.issuerDepartment,
      status: fixture.revoked ? 'revoked' : 'active',
      version: fixture.versions.length,
      revokedAt: fixture.revoked?.at ?? null,
      revokeReason: fixture.revoked?.reason ?? null,
      createdAt: fixture.at,
      updatedAt: fixture.revoked?.at ?? fixture.at,
    });
    await tx.insert(recordVersions).values(
      fixture.versions.map((data, index) => ({
        recordId: id,
        version: index + 1,
        data,
        digest: digests[index] ?? '',
        publishedBy: `client:client-${fixture.issuerDepartment}`,
        publishedAt: new Date(fixture.at.getTime() + index * 1000),
      })),
    );
  });
  return { id, digests };
}
