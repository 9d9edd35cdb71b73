import { type CaseGrantCheck, grantCovers } from '../case-grants/verify-case-grant.js';
import type { ReadPurpose } from './purpose.js';

/** Scopes that let a department read records (ADR 0013, "Who reads what"). */
export const READ_SCOPE = 'records:read';
export const WRITE_SCOPE = 'records:write';

/** The part of the caller a decision looks at. */
export interface Reader {
  readonly kind: 'staff' | 'client' | 'resident';
  readonly subject: string;
  readonly department?: string | undefined;
  readonly scopes: ReadonlySet<string>;
}

/** What is read: the subject's records of one type, issued by one department. */
export interface ReadTarget {
  readonly subjectId: string;
  readonly typeCode: string;
  readonly issuerDepartment: string;
}

/** The active policy for (reader department, type, policy purpose), if there is one. */
export interface PolicyTerms {
  readonly fields: readonly string[];
  readonly consentRequired: boolean;
}

export interface AccessQuestion {
  readonly reader: Reader;
  readonly target: ReadTarget;
  readonly purpose: ReadPurpose;
  /** One record named by id, or a subject's list: another resident gets 404 for the first, 403 for the second. */
  readonly view: 'record' | 'list';
  readonly policy: PolicyTerms | undefined;
  /** An unexpired, unrevoked consent of the subject for (reader department, type, policy purpose). */
  readonly consent: boolean;
  readonly caseGrant: CaseGrantCheck;
}

export type DenialCode =
  | 'forbidden'
  | 'not_found'
  | 'purpose_not_allowed'
  | 'consent_required'
  | 'case_grant_required'
  | 'case_grant_expired'
  | 'case_grant_invalid';

/** Why a read was released: the owner and the resident read everything, others what a policy names. */
export type ReleaseBasis = 'issuer' | 'self' | 'policy';

export type AccessDecision =
  | {
      readonly outcome: 'released';
      readonly basis: ReleaseBasis;
      /** `every` for the issuing department and the resident; a policy's fields otherwise. */
      readonly fields: 'every' | readonly string[];
    }
  | { readonly outcome: 'denied'; readonly code: DenialCode };

const deny = (code: DenialCode): AccessDecision => ({ outcome: 'denied', code });

/**
 * ADR 0013's table as one pure function: who may read which fields of a subject's records of a
 * type, for the stated purpose. Anything the table does not grant is denied.
 */
export function decideAccess(question: AccessQuestion): AccessDecision {
  const { reader, target, purpose } = question;

  if (reader.kind === 'resident') {
    if (reader.subject !== target.subjectId) {
      // A record id of someone else is answered as if it did not exist.
      return deny(question.view === 'record' ? 'not_found' : 'forbidden');
    }
    return purpose.kind === 'self'
      ? { outcome: 'released', basis: 'self', fields: 'every' }
      : deny('forbidden');
  }

  // Departments: `self` is the resident's own purpose, and a token without a records scope
  // reads nothing.
  const department = reader.department;
  if (department === undefined || purpose.kind === 'self') return deny('forbidden');
  const scopes = reader.scopes;
  if (department === target.issuerDepartment) {
    return scopes.has(READ_SCOPE) || scopes.has(WRITE_SCOPE)
      ? { outcome: 'released', basis: 'issuer', fields: 'every' }
      : deny('forbidden');
  }
  if (!scopes.has(READ_SCOPE)) return deny('forbidden');

  const policy = question.policy;
  if (policy === undefined || policy.fields.length === 0) return deny('purpose_not_allowed');

  if (purpose.kind === 'case') {
    const grant = question.caseGrant;
    switch (grant.status) {
      case 'absent':
        return deny('case_grant_required');
      case 'expired':
        return deny('case_grant_expired');
      case 'invalid':
        return deny('case_grant_invalid');
      case 'verified':
        if (
          !grantCovers(grant.grant, {
            caseId: purpose.caseId,
            subjectId: target.subjectId,
            department,
            typeCode: target.typeCode,
          })
        ) {
          return deny('case_grant_invalid');
        }
    }
  }

  if (policy.consentRequired && !question.consent) return deny('consent_required');
  return { outcome: 'released', basis: 'policy', fields: [...policy.fields] };
}

/**
 * The part of a record's data a decision releases: only own top-level members the decision
 * names, in the record's order. Returns the data and the names actually released (a policy may
 * name a field a particular record does not hold).
 */
export function releaseFields(
  data: Readonly<Record<string, unknown>>,
  fields: 'every' | readonly string[],
): { readonly data: Record<string, unknown>; readonly fields: string[] } {
  const allowed = fields === 'every' ? undefined : new Set(fields);
  const released: Record<string, unknown> = {};
  const names: string[] = [];
  for (const name of Object.keys(data)) {
    if (allowed !== undefined && !allowed.has(name)) continue;
    // defineProperty, not assignment: a member called `__proto__` stays data.
    Object.defineProperty(released, name, {
      value: data[name],
      enumerable: true,
      writable: true,
      configurable: true,
    });
    names.push(name);
  }
  return { data: released, fields: names };
}
