import type { SigningKeyStore } from '@tongban/keys';
import { errors } from '@tongban/service-kit';
import { type ReadRecordInput, readRecord } from '../access/read-record.js';
import type { ReadContext } from '../access/read-support.js';
import { type IssuedRecordCertificate, issueRecordCertificate } from './issue-certificate.js';

/**
 * The electronic annotated copy: one read of the record (same decision, same access-log entry,
 * same fields released) and a certificate of exactly what that read released, to whom and why,
 * signed with records' own key. A refused read gives no certificate; a resident reads their own
 * records directly and has no department a copy could be addressed to.
 */
export async function certifyRecord({
  ctx,
  keys,
  input,
}: {
  ctx: ReadContext;
  keys: Pick<SigningKeyStore, 'sign'>;
  input: ReadRecordInput;
}): Promise<IssuedRecordCertificate & { readonly recordId: string; readonly version: number }> {
  const recipient = ctx.actor.department;
  if (recipient === undefined) {
    throw errors.forbidden('A certified copy is addressed to a department.');
  }
  const { record, access } = await readRecord({ ctx, input });
  const issued = await issueRecordCertificate({
    keys,
    clock: ctx.clock,
    input: {
      subjectId: record.subjectId,
      record: { id: record.id, type: record.type, version: record.version, digest: record.digest },
      fields: record.data,
      issuerDepartment: record.issuerDepartment,
      recipientDepartment: recipient,
      purpose: access.purpose,
      caseId: access.caseId ?? undefined,
    },
  });
  return { ...issued, recordId: record.id, version: record.version };
}
