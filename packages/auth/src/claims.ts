import { type Static, Type } from 'typebox';

/** The JWS "typ" of an access token (RFC 9068 §2.1); verifiers also accept `application/at+jwt`. */
export const ACCESS_TOKEN_TYP = 'at+jwt';
/** The platform signs with Ed25519 only (architecture: Tokens and keys). */
export const ACCESS_TOKEN_ALG = 'EdDSA';
export const MAX_KID_LENGTH = 64;

export const KINDS = ['staff', 'client', 'resident'] as const;
export const Kind = Type.Enum(KINDS);
export type Kind = Static<typeof Kind>;

export const STAFF_ROLES = [
  'counter_clerk',
  'case_officer',
  'department_admin',
  'auditor',
  'system_admin',
] as const;
export const StaffRole = Type.Enum(STAFF_ROLES);
export type StaffRole = Static<typeof StaffRole>;

/** Same format as identity's `departments.code` check constraint. */
export const DepartmentCode = Type.String({ pattern: '^[a-z][a-z0-9_]{1,39}$' });

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), tokens separated by one space.
const SCOPE_TOKEN = '[\\x21\\x23-\\x5B\\x5D-\\x7E]+';
export const ScopeString = Type.String({
  maxLength: 2048,
  pattern: `^(${SCOPE_TOKEN}( ${SCOPE_TOKEN})*)?$`,
});

export const AccessTokenHeader = Type.Object(
  {
    alg: Type.Literal(ACCESS_TOKEN_ALG),
    typ: Type.Literal(ACCESS_TOKEN_TYP),
    kid: Type.String({ minLength: 1, maxLength: MAX_KID_LENGTH }),
  },
  { additionalProperties: false },
);
export type AccessTokenHeader = Static<typeof AccessTokenHeader>;

const Identifier = Type.String({ minLength: 1, maxLength: 255 });
const NumericDate = Type.Integer({ minimum: 0, maximum: 253_402_300_799 });

/** RFC 9068 §2.2 claims every access token carries, whoever it was issued to. */
const Registered = {
  iss: Type.String({ minLength: 1, maxLength: 2048 }),
  sub: Identifier,
  aud: Type.Union([
    Type.String({ minLength: 1, maxLength: 2048 }),
    Type.Array(Type.String({ minLength: 1, maxLength: 2048 }), { minItems: 1, maxItems: 16 }),
  ]),
  exp: NumericDate,
  iat: NumericDate,
  // At least 96 random bits, base64url: 16 characters.
  jti: Type.String({ minLength: 16, maxLength: 128 }),
  client_id: Identifier,
  scope: ScopeString,
};

const StaffClaims = Type.Object({
  ...Registered,
  kind: Type.Literal('staff'),
  department: DepartmentCode,
  roles: Type.Array(StaffRole, { uniqueItems: true, maxItems: STAFF_ROLES.length }),
});

/** Department systems (client credentials); their roles are whatever identity grants the client. */
const ClientClaims = Type.Object({
  ...Registered,
  kind: Type.Literal('client'),
  department: DepartmentCode,
  roles: Type.Array(Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}$' }), {
    uniqueItems: true,
    maxItems: 16,
  }),
});

const ResidentClaims = Type.Object({
  ...Registered,
  kind: Type.Literal('resident'),
  roles: Type.Tuple([Type.Literal('resident')]),
  // RFC 9449 §6.1: the SHA-256 JWK thumbprint (RFC 7638) of the device key the token is bound to.
  cnf: Type.Optional(Type.Object({ jkt: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' }) })),
});

/**
 * The payload of a Tongban access token. Unknown claims are tolerated (RFC 7519 §4: claims a
 * recipient does not understand are ignored); the ones below are all checked.
 */
export const AccessTokenClaims = Type.Union([StaffClaims, ClientClaims, ResidentClaims]);
export type AccessTokenClaims = Static<typeof AccessTokenClaims>;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** What an issuer chooses per token; `iss`, `aud`, `iat`, `exp` and `jti` are filled in by signing. */
export type AccessTokenSubjectClaims = DistributiveOmit<
  AccessTokenClaims,
  'iss' | 'aud' | 'exp' | 'iat' | 'jti'
>;

interface ActorBase {
  readonly subject: string;
  readonly scopes: ReadonlySet<string>;
  readonly clientId: string;
  readonly tokenId: string;
  readonly expiresAt: Date;
}

export interface StaffActor extends ActorBase {
  readonly kind: 'staff';
  readonly department: string;
  readonly roles: readonly StaffRole[];
}

export interface ClientActor extends ActorBase {
  readonly kind: 'client';
  readonly department: string;
  readonly roles: readonly string[];
}

export interface ResidentActor extends ActorBase {
  readonly kind: 'resident';
  readonly department?: undefined;
  readonly roles: readonly ['resident'];
  /** `cnf.jkt`: a DPoP proof for this token must be signed by the key with this thumbprint. */
  readonly dpopKeyThumbprint?: string;
}

/** Who is calling, as a verified access token says. */
export type Actor = StaffActor | ClientActor | ResidentActor;

export function actorFromClaims(claims: AccessTokenClaims): Actor {
  const base: ActorBase = {
    subject: claims.sub,
    scopes: new Set(claims.scope === '' ? [] : claims.scope.split(' ')),
    clientId: claims.client_id,
    tokenId: claims.jti,
    expiresAt: new Date(claims.exp * 1000),
  };
  switch (claims.kind) {
    case 'staff':
      return { ...base, kind: 'staff', department: claims.department, roles: claims.roles };
    case 'client':
      return { ...base, kind: 'client', department: claims.department, roles: claims.roles };
    case 'resident':
      return claims.cnf === undefined
        ? { ...base, kind: 'resident', roles: ['resident'] }
        : { ...base, kind: 'resident', roles: ['resident'], dpopKeyThumbprint: claims.cnf.jkt };
  }
}
