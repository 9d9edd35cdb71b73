import { defineErrors } from '@tongban/service-kit';

/**
 * Workflow's own error codes (none yet beyond the shared ones); declare new ones here, then throw
 * `problem('<code>', detail)`.
 */
export const workflowErrors = defineErrors('workflow', {});

export const { problem } = workflowErrors;
export type WorkflowErrorCode = Parameters<typeof problem>[0];
