import { errors, type ServiceInstance } from '@tongban/service-kit';
import { Type } from 'typebox';
import type { IdentityContext } from '../../domain/context.js';

const security = [{ bearerAuth: [] }];
const admin = { auth: { kinds: ['staff'] as const, roles: ['system_admin'] } };

export function keyRoutes(app: ServiceInstance, ctx: IdentityContext) {
  app.get(
    '/.well-known/jwks.json',
    {
      config: { public: true, rateLimit: false },
      schema: {
        tags: ['keys'],
        summary: 'Public keys of every token identity signs (Ed25519; kid = RFC 7638 thumbprint)',
        response: {
          200: Type.Object({ keys: Type.Array(Type.Record(Type.String(), Type.Unknown())) }),
        },
      },
    },
    async (_request, reply) => {
      // One minute: a rotated-in key reaches verifiers quickly, and they refetch on an unknown kid anyway.
      reply.header('cache-control', 'public, max-age=60');
      return ctx.keys.jwks();
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
    () => ctx.keys.rotate(),
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
        params: Type.Object({ kid: Type.String({ minLength: 1, maxLength: 64 }) }),
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
      const result = await ctx.keys.revoke(request.params.kid);
      // Tokens verified under the withdrawn key must not be served from the cache either.
      app.accessTokenCache?.clear();
      if (!result.revoked) throw errors.notFound('No published key with that kid.');
      return { kid: request.params.kid, ...result };
    },
  );
}
