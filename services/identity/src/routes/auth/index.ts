import { SafeText, type ServiceInstance } from '@tongban/service-kit';
import { Type } from 'typebox';
import { clientToken } from '../../domain/auth/client-token.js';
import { proofRequestOf } from '../../domain/auth/device-proof.js';
import { deviceToken } from '../../domain/auth/device-token.js';
import { login } from '../../domain/auth/login.js';
import type { IdentityContext } from '../../domain/context.js';
import { requestContext } from '../context.js';
import { signInProofHeaders } from '../dpop-header.js';
import { StaffSignIn, TokenResponse } from './schemas.js';

export function authRoutes(app: ServiceInstance, ctx: IdentityContext) {
  app.post(
    '/v1/auth/login',
    {
      config: {
        public: true,
        errors: ['unauthorized', 'rate_limited', 'account_locked', 'passkey_required'],
      },
      schema: {
        tags: ['auth'],
        summary:
          'Staff sign-in: an access token (at+jwt, 15 min) with department, roles and scopes',
        body: Type.Object(
          {
            username: SafeText({ maxLength: 64 }),
            password: SafeText({ maxLength: 256 }),
          },
          { additionalProperties: false },
        ),
        response: { 200: StaffSignIn },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return login({
        ctx: requestContext(request, ctx, { anonymous: true }),
        input: { ...request.body, address: request.ip },
      });
    },
  );

  app.post(
    '/v1/auth/token',
    {
      config: {
        public: true,
        errors: ['unsupported_grant_type', 'invalid_client', 'invalid_scope'],
      },
      schema: {
        tags: ['auth'],
        summary: 'OAuth 2.0 client credentials grant for department systems (RFC 6749 §4.4)',
        description:
          'Form-encoded (or JSON). Authenticate with HTTP Basic or client_id/client_secret in the body.',
        body: Type.Object(
          {
            grant_type: SafeText({ maxLength: 64 }),
            client_id: Type.Optional(SafeText({ maxLength: 128 })),
            client_secret: Type.Optional(SafeText({ maxLength: 256 })),
            scope: Type.Optional(SafeText({ maxLength: 1024 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            access_token: Type.String(),
            token_type: Type.Literal('Bearer'),
            expires_in: Type.Integer(),
            scope: Type.String(),
          }),
        },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const basic = parseBasic(request.headers.authorization);
      return clientToken({
        ctx: requestContext(request, ctx, { anonymous: true }),
        input: {
          grantType: request.body.grant_type,
          clientId: basic?.id ?? request.body.client_id,
          clientSecret: basic?.secret ?? request.body.client_secret,
          scope: request.body.scope,
          usedBasic: basic !== undefined,
        },
      });
    },
  );

  app.post(
    '/v1/auth/device-token',
    {
      // The device proof is the credential here: this route is where a resident gets a token.
      config: { public: true, errors: ['invalid_dpop_proof', 'unauthorized'] },
      schema: {
        tags: ['auth'],
        summary: 'Resident sign-in with a device proof (DPoP header): a key-bound access token',
        headers: signInProofHeaders,
        response: {
          200: Type.Object({
            ...TokenResponse.properties,
            subjectId: Type.String(),
            deviceId: Type.String(),
          }),
        },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return deviceToken({
        ctx: requestContext(request, ctx, { anonymous: true }),
        input: proofRequestOf(request),
      });
    },
  );
}

// RFC 6749 §2.3.1: client_id and client_secret are form-urlencoded before Basic encoding.
function parseBasic(header: string | undefined): { id: string; secret: string } | undefined {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  try {
    return {
      id: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')),
      secret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')),
    };
  } catch {
    return undefined;
  }
}
