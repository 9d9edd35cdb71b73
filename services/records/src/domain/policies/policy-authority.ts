import { type Actor, hasRole } from '@tongban/auth';
import { errors } from '@tongban/service-kit';
import type { PolicyRow } from '../../db/queries/policies.js';

/**
 * The data's owner decides who reads it: an administrator of the department that issues the
 * record type, or a system administrator.
 */
export function assertPolicyAuthority(actor: Actor, issuerDepartment: string): void {
  if (actor.kind !== 'staff') throw errors.forbidden();
  if (hasRole(actor, 'system_admin')) return;
  if (hasRole(actor, 'department_admin') && actor.department === issuerDepartment) return;
  throw errors.forbidden(
    "Only an administrator of the record type's issuing department decides who may read it.",
  );
}

/** The API shape of a policy; camelCase, and the creator's staff id stays inside. */
export function toPolicy(row: PolicyRow) {
  return {
    id: row.id,
    readerDepartment: row.readerDepartment,
    recordType: row.typeCode,
    purpose: row.purpose,
    fields: row.fields,
    consentRequired: row.consentRequired,
    createdAt: row.createdAt.toISOString(),
    withdrawnAt: row.withdrawnAt === null ? null : row.withdrawnAt.toISOString(),
  };
}
