import type { ServiceInstance } from '@tongban/service-kit';
import { Type } from 'typebox';
import type { IdentityContext } from '../../domain/context.js';
import { listMyPasskeys, removeMyPasskey } from '../../domain/passkeys/my-passkeys.js';
import { toPasskey } from '../../domain/passkeys/passkey-row.js';
import {
  passkeyRegistrationOptions,
  registerPasskey,
} from '../../domain/passkeys/register-passkey.js';
import {
  passkeyLoginOptions,
  signInWithPasskey,
} from '../../domain/passkeys/sign-in-with-passkey.js';
import { StaffSignIn } from '../auth/schemas.js';
import { requestContext } from '../context.js';
import {
  AuthenticationOptions,
  AuthenticationResponse,
  Label,
  Passkey,
  RegistrationOptions,
  RegistrationResponse,
} from './schemas.js';

const security = [{ bearerAuth: [] }];
const staffOnly = { kinds: ['staff' as const] };

export function passkeyRoutes(app: ServiceInstance, ctx: IdentityContext) {
  app.post(
    '/v1/auth/passkeys/registration/options',
    {
      config: { auth: staffOnly },
      schema: {
        tags: ['passkeys'],
        summary:
          'Start registering a passkey for the signed-in staff member (WebAuthn creation options; challenge valid 5 min, once)',
        security,
        response: { 200: RegistrationOptions },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return passkeyRegistrationOptions({ ctx: requestContext(request, ctx) });
    },
  );

  app.post(
    '/v1/auth/passkeys/registration',
    {
      config: {
        auth: staffOnly,
        errors: [
          'passkey_challenge_invalid',
          'passkey_registration_failed',
          'passkey_already_registered',
        ],
      },
      schema: {
        tags: ['passkeys'],
        summary: "Finish registering a passkey with the authenticator's response",
        security,
        body: Type.Object(
          { response: RegistrationResponse, label: Type.Optional(Label) },
          { additionalProperties: false },
        ),
        response: { 201: Passkey },
      },
    },
    async (request, reply) => {
      const row = await registerPasskey({
        ctx: requestContext(request, ctx),
        input: { response: request.body.response, label: request.body.label },
      });
      return reply.code(201).send(toPasskey(row));
    },
  );

  app.post(
    '/v1/auth/passkeys/login/options',
    {
      config: { public: true },
      schema: {
        tags: ['passkeys'],
        summary:
          'Start a passkey sign-in (WebAuthn request options for a discoverable credential; challenge valid 5 min, once)',
        response: { 200: AuthenticationOptions },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'no-store');
      return passkeyLoginOptions({ ctx });
    },
  );

  app.post(
    '/v1/auth/passkeys/login',
    {
      config: {
        public: true,
        errors: [
          'passkey_challenge_invalid',
          'passkey_authentication_failed',
          'passkey_clone_detected',
        ],
      },
      schema: {
        tags: ['passkeys'],
        summary: 'Staff sign-in with a passkey: the same access token as POST /v1/auth/login',
        body: Type.Object({ response: AuthenticationResponse }, { additionalProperties: false }),
        response: { 200: StaffSignIn },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return signInWithPasskey({
        ctx: { ...ctx, requestId: request.id, log: request.log },
        input: { response: request.body.response },
      });
    },
  );

  app.get(
    '/v1/me/passkeys',
    {
      config: { auth: staffOnly },
      schema: {
        tags: ['passkeys'],
        summary: "The signed-in staff member's passkeys",
        security,
        response: { 200: Type.Object({ items: Type.Array(Passkey) }) },
      },
    },
    async (request) => {
      const rows = await listMyPasskeys({ ctx: requestContext(request, ctx) });
      return { items: rows.map(toPasskey) };
    },
  );

  app.delete(
    '/v1/me/passkeys/:id',
    {
      config: { auth: staffOnly },
      schema: {
        tags: ['passkeys'],
        summary: "Remove one of the signed-in staff member's passkeys",
        security,
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      await removeMyPasskey({
        ctx: requestContext(request, ctx),
        input: { id: request.params.id },
      });
      return reply.code(204).send(null);
    },
  );
}
