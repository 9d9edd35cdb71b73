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
});

export const { problem } = recordsErrors;
export type RecordsErrorCode = Parameters<typeof problem>[0];
