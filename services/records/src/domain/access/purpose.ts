import { CASE_GRANT_CASE_ID_PATTERN } from '@tongban/tokens';

/**
 * The purposes a read may state (ADR 0013): a policy purpose, `case:<caseId>` (a read for a
 * workflow case, which also needs a case grant) or `self` (a resident reading their own records).
 */
export type ReadPurpose =
  | { readonly kind: 'policy'; readonly name: string }
  | { readonly kind: 'case'; readonly caseId: string }
  | { readonly kind: 'self' };

/** A policy's purpose; `case` names the policy that covers every `case:<caseId>` read. */
export const POLICY_PURPOSE_PATTERN = '^[a-z][a-z0-9_]{1,63}$';
/** What a read's `purpose` parameter may be; the schema checks it, parseReadPurpose decides. */
export const READ_PURPOSE_PATTERN = '^(?:[a-z][a-z0-9_]{1,63}|case:[A-Za-z0-9_-]{1,64})$';

/** The policy purpose that covers case-bound reads. */
export const CASE_POLICY_PURPOSE = 'case';
/** Reserved for residents; no policy may be made for it. */
export const SELF_PURPOSE = 'self';

const policyPurpose = new RegExp(POLICY_PURPOSE_PATTERN);
// A case id is whatever a case grant may name (one pattern, in the grant's format).
const caseId = new RegExp(CASE_GRANT_CASE_ID_PATTERN);

/**
 * Parses a read's purpose; undefined when it is none of the three forms. The bare word `case` is
 * refused: it would otherwise name the case policy without the case grant that policy needs.
 */
export function parseReadPurpose(value: string): ReadPurpose | undefined {
  if (value === SELF_PURPOSE) return { kind: 'self' };
  if (value.startsWith('case:')) {
    const id = value.slice('case:'.length);
    return caseId.test(id) ? { kind: 'case', caseId: id } : undefined;
  }
  if (value === CASE_POLICY_PURPOSE || !policyPurpose.test(value)) return undefined;
  return { kind: 'policy', name: value };
}

/** The purpose written to the access log and returned to the reader, as the caller stated it. */
export function formatReadPurpose(purpose: ReadPurpose): string {
  switch (purpose.kind) {
    case 'self':
      return SELF_PURPOSE;
    case 'case':
      return `case:${purpose.caseId}`;
    case 'policy':
      return purpose.name;
  }
}

/** The purpose of the policy (and of the consent) that governs a read for this purpose. */
export function policyPurposeOf(purpose: ReadPurpose): string | undefined {
  switch (purpose.kind) {
    case 'self':
      return undefined;
    case 'case':
      return CASE_POLICY_PURPOSE;
    case 'policy':
      return purpose.name;
  }
}
