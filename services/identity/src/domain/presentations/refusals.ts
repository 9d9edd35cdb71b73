import { ApiError } from '@tongban/service-kit';

/** The refusal a credential's status implies, or undefined when it is valid. */
export function credentialRefusal(status: string): ApiError | undefined {
  if (status === 'revoked') {
    return new ApiError({
      status: 403,
      code: 'credential_revoked',
      detail: 'This credential has been revoked.',
    });
  }
  if (status === 'suspended') {
    return new ApiError({
      status: 403,
      code: 'credential_suspended',
      detail: 'This credential is suspended.',
    });
  }
  return undefined;
}
