import { defineErrors } from '@tongban/service-kit';

/**
 * Records' own error codes; with the shared ones they are everything a client of records can see.
 * Domain code throws `problem('consent_required', detail)`.
 */
export const recordsErrors = defineErrors('records', {
  purpose_not_allowed: {
    status: 403,
    title: 'Purpose not allowed',
    description:
      'The stated purpose is not one the access policy allows this department for this record type.',
  },
  consent_required: {
    status: 403,
    title: 'Consent required',
    description:
      "Reading this record for this purpose needs the resident's consent, which is absent.",
  },
  record_revoked: {
    status: 410,
    title: 'Record revoked',
    description:
      'The issuing department revoked this record; it is no longer a valid record. Its history stays readable by those allowed.',
  },
  case_grant_required: {
    status: 403,
    title: 'Case grant required',
    description:
      'A case-bound purpose (`case:<caseId>`) needs a case grant from the workflow service in the `Case-Grant` header.',
  },
  case_grant_invalid: {
    status: 403,
    title: 'Case grant invalid',
    description:
      'The case grant is malformed, signed by an unknown key, or made for another case, subject, department or record type.',
  },
  case_grant_expired: {
    status: 403,
    title: 'Case grant expired',
    description: 'The case grant has expired; ask the workflow service for a new one.',
  },
  invalid_dpop_proof: {
    status: 401,
    title: 'Invalid DPoP proof',
    description:
      "A resident's request must carry a fresh DPoP proof (RFC 9449) signed by the device key its token is bound to.",
  },
  access_log_unavailable: {
    status: 503,
    title: 'Access log unavailable',
    description: 'The access log could not be written, so no record data is released. Retry later.',
  },
  tree_size_unavailable: {
    status: 404,
    title: 'Tree size unavailable',
    description:
      'No signed checkpoint exists for the requested tree size, or the sizes are out of order.',
  },
});

export const { problem } = recordsErrors;
export type RecordsErrorCode = Parameters<typeof problem>[0];
