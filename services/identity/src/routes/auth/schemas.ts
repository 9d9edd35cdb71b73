import { Type } from 'typebox';

export const TokenResponse = Type.Object({
  accessToken: Type.String(),
  tokenType: Type.Union([Type.Literal('Bearer'), Type.Literal('DPoP')]),
  expiresIn: Type.Integer(),
  scope: Type.String(),
});

/** What a staff sign-in answers, by password or by passkey. */
export const StaffSignIn = Type.Object({
  ...TokenResponse.properties,
  staff: Type.Object({
    id: Type.String(),
    username: Type.String(),
    displayName: Type.String(),
    department: Type.String(),
    roles: Type.Array(Type.String()),
  }),
});
