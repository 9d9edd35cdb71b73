import type { ApiError } from '@tongban/service-kit';
import { problem } from '../../errors.js';

/** The refusal a credential's status implies, or undefined when it is valid. */
export function credentialRefusal(status: string): ApiError | undefined {
  if (status === 'revoked')
    return problem('credential_revoked', 'This credential has been revoked.');
  if (status === 'suspended')
    return problem('credential_suspended', 'This credential is suspended.');
  return undefined;
}
