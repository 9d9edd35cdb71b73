import { defineErrors } from '@tongban/service-kit';

/**
 * Workflow's own error codes; with the shared ones they are everything a client of workflow can
 * see. Domain code throws `problem('<code>', detail)`.
 */
export const workflowErrors = defineErrors('workflow', {
  records_unavailable: {
    status: 503,
    title: 'Records unavailable',
    description:
      'The records service could not be reached or did not answer as expected, so the records a case needs could not be pulled. Nothing was changed; retry later.',
  },
  identity_unavailable: {
    status: 503,
    title: 'Identity unavailable',
    description:
      'The identity service could not be reached or did not answer as expected, so the verification could not be checked. Nothing was changed; retry later.',
  },
});

export const { problem } = workflowErrors;
export type WorkflowErrorCode = Parameters<typeof problem>[0];
