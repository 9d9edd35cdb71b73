import { DPOP_ERRORS } from '@tongban/dpop';
import { defineErrors } from '@tongban/service-kit';

/**
 * Identity's own error codes; with the shared ones they are everything a client of identity can
 * see. Domain code throws `problem('credential_revoked', detail)`; a code missing here does not
 * compile.
 */
export const identityErrors = defineErrors('identity', {
  malformed_token: {
    status: 400,
    title: 'Malformed token',
    description: 'The presentation code is not a Tongban presentation token at all.',
  },
  signature_invalid: {
    status: 401,
    title: 'Signature invalid',
    description:
      "The presentation code is not signed by this city's identity service, or matches no credential.",
  },
  unknown_key: {
    status: 401,
    title: 'Unknown signing key',
    description: 'The presentation code names a signing key that is not (or no longer) trusted.',
  },
  presentation_expired: {
    status: 401,
    title: 'Presentation expired',
    description: 'The presentation code is past its 60 s lifetime; the resident shows a fresh one.',
  },
  presentation_not_yet_valid: {
    status: 401,
    title: 'Presentation not yet valid',
    description: 'The presentation code is dated in the future beyond the allowed clock skew.',
  },
  presentation_replayed: {
    status: 409,
    title: 'Presentation replayed',
    description: 'The presentation code was already used once; codes are single use online.',
  },
  credential_revoked: {
    status: 403,
    title: 'Credential revoked',
    description: "The resident's credential has been revoked.",
  },
  credential_suspended: {
    status: 403,
    title: 'Credential suspended',
    description: "The resident's credential is suspended until an administrator reinstates it.",
  },
  device_revoked: {
    status: 403,
    title: 'Device revoked',
    description: 'The device that made the request or showed the code is revoked or unknown.',
  },
  // The shared proof check's code, as it declares it (@tongban/dpop).
  ...DPOP_ERRORS,
  activation_code_invalid: {
    status: 400,
    title: 'Activation code invalid',
    description:
      'The activation code is wrong, already used or expired; a counter issues a new one.',
  },
  device_already_registered: {
    status: 409,
    title: 'Device already registered',
    description: 'This device key is already registered to a resident.',
  },
  already_enrolled: {
    status: 409,
    title: 'Already enrolled',
    description: 'A resident with this ID document is already enrolled.',
  },
  invalid_transition: {
    status: 409,
    title: 'Invalid status transition',
    description:
      'The credential cannot make this change from its current status (e.g. reinstating a revoked one).',
  },
  account_locked: {
    status: 423,
    title: 'Account locked',
    description:
      'The staff account reached 100 consecutive failed sign-ins and is blocked from every address until an administrator unlocks it (POST /v1/staff/{id}/unlock).',
  },
  unsupported_grant_type: {
    status: 400,
    title: 'Unsupported grant type',
    description: 'POST /v1/auth/token supports only the client_credentials grant (RFC 6749 §5.2).',
  },
  invalid_client: {
    status: 401,
    title: 'Invalid client',
    description: 'Client authentication failed: unknown client, wrong secret or disabled client.',
  },
  invalid_scope: {
    status: 400,
    title: 'Invalid scope',
    description: 'The client asked for a scope it has not been granted.',
  },
  passkey_required: {
    status: 403,
    title: 'Passkey required',
    description:
      "The staff member's department requires passkey sign-in; passwords are refused (POST /v1/auth/passkeys/login).",
  },
  passkey_challenge_invalid: {
    status: 400,
    title: 'Passkey challenge invalid',
    description:
      'The WebAuthn challenge is unknown, already used, expired (5 min) or from another ceremony; ask for new options.',
  },
  passkey_registration_failed: {
    status: 400,
    title: 'Passkey registration failed',
    description:
      'The registration response did not verify (origin, relying party id, challenge, user verification or key).',
  },
  passkey_already_registered: {
    status: 409,
    title: 'Passkey already registered',
    description: 'This authenticator credential is already registered to a staff member.',
  },
  passkey_authentication_failed: {
    status: 401,
    title: 'Passkey sign-in failed',
    description:
      'The passkey response did not verify (unknown credential, origin, relying party id, signature or user verification), or its staff account is disabled.',
  },
  passkey_clone_detected: {
    status: 403,
    title: 'Passkey clone detected',
    description:
      "The authenticator's signature counter did not increase: a copy of this passkey may exist. Sign-in is refused and the department's administrators can see the event; remove the passkey and register a new one.",
  },
});

export const { problem } = identityErrors;
export type IdentityErrorCode = Parameters<typeof problem>[0];
