import { DPOP_ERRORS } from '@tongban/dpop';
import { defineErrors } from '@tongban/service-kit';

/**
 * Workflow's own error codes; with the shared ones they are everything a client of workflow can
 * see. Domain code throws `problem('<code>', detail)`.
 */
export const workflowErrors = defineErrors('workflow', {
  ...DPOP_ERRORS,
  identity_unavailable: {
    status: 503,
    title: 'Identity unavailable',
    description:
      'The identity service could not be reached or did not answer as expected, so the verification could not be checked. Nothing was changed; retry later.',
  },
  records_unavailable: {
    status: 503,
    title: 'Records unavailable',
    description:
      'The records service could not be reached or did not answer as expected, so the records a case needs could not be pulled. Nothing was changed; retry later.',
  },
  case_closed: {
    status: 409,
    title: 'Case closed',
    description:
      'The case is approved, rejected or withdrawn; a closed case takes no more changes.',
  },
  case_awaiting_information: {
    status: 409,
    title: 'Case awaiting information',
    description:
      'The case waits on the resident for information (its clock is stopped); decisions resume when the resident answers.',
  },
  case_not_awaiting_information: {
    status: 409,
    title: 'Case not awaiting information',
    description: 'No department asked for information on this case, so there is nothing to answer.',
  },
  task_not_open: {
    status: 409,
    title: 'Task not open',
    description:
      'The task is not open for a decision: its step waits for earlier steps, or it was already decided or cancelled.',
  },
  verification_required: {
    status: 403,
    title: 'Verification required',
    description:
      "Staff reach a resident's cases only with a verification id from identity for that resident, made by their own department in the last 10 minutes (a QR scan or an in-person ID-card check).",
  },
});

export const { problem } = workflowErrors;
export type WorkflowErrorCode = Parameters<typeof problem>[0];
