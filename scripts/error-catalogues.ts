// Read from the sources: the root has no workspace dependencies of its own.
import { type ErrorCatalogue, sharedErrors } from '../packages/service-kit/src/errors.js';
import { identityErrors } from '../services/identity/src/errors.js';
import { portalErrors } from '../services/portal/src/errors.js';
import { recordsErrors } from '../services/records/src/errors.js';
import { workflowErrors } from '../services/workflow/src/errors.js';

/** Every catalogue in the platform: the shared codes, then each service's own. Register new ones here. */
export const catalogues: readonly ErrorCatalogue[] = [
  sharedErrors,
  identityErrors,
  workflowErrors,
  recordsErrors,
  portalErrors,
];
