import type { RouteAuth } from '@tongban/auth';
import { errors, type ServiceInstance } from '@tongban/service-kit';
import { Type } from 'typebox';
import type { SigningKeyStore } from './key-store.js';

const security = [{ bearerAuth: [] }];
const admin: { auth: RouteAuth } = { auth: { kinds: ['staff'], roles: ['system_admin'] } };

export interface KeyRoutesOptions {
  /** Names the service in the OpenAPI summaries. */
  readonly service: string;
  readonly keys: SigningKeyStore;
}

/**
 * `GET /.well-known/jwks.json` (public) and the system administrator's `POST /v1/keys/rotate` and
 * `POST /v1/keys/{kid}/revoke`. The admin routes need `accessTokenAuth` registered on the app.
 */
export function keyRoutes(app: ServiceInstance, { service, keys }: KeyRoutesOptions): void {
  app.get(
    '/.well-known/jwks.json',
    {
      config: { public: true, rateLimit: false },
      schema: {
        tags: ['keys'],
        summary: `Public keys of every token ${service} signs (Ed25519; kid = RFC 7638 thumbprint)`,
        response: {
          200: Type.Object({ keys: Type.Array(Type.Record(Type.String(), Type.Unknown())) }),
        },
      },
    },
    async (_request, reply) => {
      // Ten seconds, as long as a verifier's own copy lives: an HTTP cache in between must not hold
      // a withdrawn key longer than the 30 s a withdrawal promises (ADR 0008).
      reply.header('cache-control', 'public, max-age=10');
      return keys.jwks();
    },
  );

  app.post(
    '/v1/keys/rotate',
    {
      config: admin,
      schema: {
        tags: ['keys'],
        summary:
          'Start signing with a new key; the old one stays published until its tokens expire (system_admin)',
        security,
        response: { 200: Type.Object({ kid: Type.String(), retired: Type.Array(Type.String()) }) },
      },
    },
    () => keys.rotate(),
  );

  app.post(
    '/v1/keys/:kid/revoke',
    {
      config: admin,
      schema: {
        tags: ['keys'],
        summary:
          'Withdraw a key now (compromise): everything it signed stops verifying (system_admin)',
        security,
        params: Type.Object({ kid: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }) }),
        response: {
          200: Type.Object({
            kid: Type.String(),
            revoked: Type.Boolean(),
            newKid: Type.Optional(Type.String()),
          }),
        },
      },
    },
    async (request) => {
      const result = await keys.revoke(request.params.kid);
      // Where this store also verifies access tokens (identity), verifications cached under the
      // withdrawn key must not be served either; elsewhere the clear costs a few re-verifications.
      app.accessTokenCache?.clear();
      if (!result.revoked) throw errors.notFound('No published key with that kid.');
      return { kid: request.params.kid, ...result };
    },
  );
}
