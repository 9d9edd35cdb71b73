import { SafeText } from '@tongban/service-kit';
import { Type } from 'typebox';

const B64url = (maxLength: number) =>
  Type.String({ minLength: 1, maxLength, pattern: '^[A-Za-z0-9_-]+$' });
const Transports = Type.Array(Type.String({ maxLength: 32, pattern: '^[a-z-]+$' }), {
  maxItems: 8,
});
const Extensions = Type.Object({}, { additionalProperties: true });

/** PublicKeyCredentialCreationOptionsJSON, as @simplewebauthn/browser's startRegistration takes it. */
export const RegistrationOptions = Type.Object({
  challenge: Type.String(),
  rp: Type.Object({ name: Type.String(), id: Type.Optional(Type.String()) }),
  user: Type.Object({ id: Type.String(), name: Type.String(), displayName: Type.String() }),
  pubKeyCredParams: Type.Array(Type.Object({ alg: Type.Integer(), type: Type.String() })),
  timeout: Type.Optional(Type.Integer()),
  attestation: Type.Optional(Type.String()),
  excludeCredentials: Type.Optional(
    Type.Array(
      Type.Object({
        id: Type.String(),
        type: Type.String(),
        transports: Type.Optional(Type.Array(Type.String())),
      }),
    ),
  ),
  authenticatorSelection: Type.Optional(
    Type.Object({
      residentKey: Type.Optional(Type.String()),
      requireResidentKey: Type.Optional(Type.Boolean()),
      userVerification: Type.Optional(Type.String()),
      authenticatorAttachment: Type.Optional(Type.String()),
    }),
  ),
  extensions: Type.Optional(Type.Object({ credProps: Type.Optional(Type.Boolean()) })),
  hints: Type.Optional(Type.Array(Type.String())),
});

/** PublicKeyCredentialRequestOptionsJSON, as startAuthentication takes it. */
export const AuthenticationOptions = Type.Object({
  challenge: Type.String(),
  rpId: Type.Optional(Type.String()),
  timeout: Type.Optional(Type.Integer()),
  userVerification: Type.Optional(Type.String()),
});

/** RegistrationResponseJSON, as startRegistration returns it. */
export const RegistrationResponse = Type.Object({
  id: B64url(1024),
  rawId: B64url(1024),
  type: Type.Literal('public-key'),
  response: Type.Object({
    clientDataJSON: B64url(4096),
    attestationObject: B64url(32_768),
    authenticatorData: Type.Optional(B64url(32_768)),
    transports: Type.Optional(Transports),
    publicKeyAlgorithm: Type.Optional(Type.Integer()),
    publicKey: Type.Optional(B64url(4096)),
  }),
  authenticatorAttachment: Type.Optional(
    Type.Union([Type.Literal('platform'), Type.Literal('cross-platform')]),
  ),
  clientExtensionResults: Extensions,
});

/** AuthenticationResponseJSON, as startAuthentication returns it. */
export const AuthenticationResponse = Type.Object({
  id: B64url(1024),
  rawId: B64url(1024),
  type: Type.Literal('public-key'),
  response: Type.Object({
    clientDataJSON: B64url(4096),
    authenticatorData: B64url(8192),
    signature: B64url(1024),
    userHandle: Type.Optional(B64url(256)),
  }),
  authenticatorAttachment: Type.Optional(
    Type.Union([Type.Literal('platform'), Type.Literal('cross-platform')]),
  ),
  clientExtensionResults: Extensions,
});

export const Passkey = Type.Object({
  id: Type.String(),
  label: Type.String(),
  credentialId: Type.String(),
  transports: Type.Array(Type.String()),
  deviceType: Type.Union([Type.Literal('singleDevice'), Type.Literal('multiDevice')]),
  backedUp: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

// A label the staff member reads back in a list: no control characters or bidi overrides.
export const Label = SafeText({ maxLength: 64 });
