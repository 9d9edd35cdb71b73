import { SafeText, type ServiceInstance } from '@tongban/service-kit';
import { Type } from 'typebox';
import { proofRequestOf } from '../../domain/auth/device-proof.js';
import type { IdentityContext } from '../../domain/context.js';
import { activateDevice } from '../../domain/devices/activate-device.js';
import { listMyDevices, revokeMyDevice } from '../../domain/devices/resident-devices.js';
import { requestContext } from '../context.js';
import { activationProofHeaders, boundProofHeaders } from '../dpop-header.js';
import { RESIDENT_ERRORS } from '../resident-proof.js';
import { Device } from './schemas.js';

const resident = { auth: { kinds: ['resident'] as const }, errors: [...RESIDENT_ERRORS] };

export function deviceRoutes(app: ServiceInstance, ctx: IdentityContext) {
  app.post(
    '/v1/devices/activate',
    {
      // The one-time activation code and the device proof are the credentials.
      config: {
        public: true,
        errors: ['activation_code_invalid', 'device_already_registered', 'invalid_dpop_proof'],
      },
      schema: {
        tags: ['devices'],
        summary:
          'Activate a device with the printed code; the DPoP proof header carries and proves the device key',
        headers: activationProofHeaders,
        body: Type.Object(
          {
            activationCode: SafeText({ minLength: 16, maxLength: 32 }),
            label: Type.Optional(SafeText({ maxLength: 60 })),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            deviceId: Type.String(),
            subjectId: Type.String(),
            keyId: Type.String(),
            credential: Type.Union([
              Type.Object({
                id: Type.String(),
                statusIndex: Type.Integer(),
                status: Type.String(),
              }),
              Type.Null(),
            ]),
          }),
        },
      },
    },
    async (request, reply) =>
      reply.code(201).send(
        await activateDevice({
          ctx: requestContext(request, ctx, { anonymous: true }),
          input: {
            activationCode: request.body.activationCode,
            label: request.body.label,
            request: proofRequestOf(request),
          },
        }),
      ),
  );

  app.get(
    '/v1/me/devices',
    {
      config: resident,
      schema: {
        tags: ['me'],
        summary: "The resident's devices",
        security: [{ bearerAuth: [] }],
        headers: boundProofHeaders,
        response: { 200: Type.Object({ items: Type.Array(Device), nextCursor: Type.Null() }) },
      },
    },
    (request) => listMyDevices({ ctx: requestContext(request, ctx) }),
  );

  app.post(
    '/v1/me/devices/:deviceId/revoke',
    {
      config: resident,
      schema: {
        tags: ['me'],
        summary: 'Revoke one of your devices (a lost phone): its tokens and codes stop working',
        security: [{ bearerAuth: [] }],
        headers: boundProofHeaders,
        params: Type.Object({ deviceId: Type.String({ format: 'uuid' }) }),
        response: { 200: Device },
      },
    },
    (request) =>
      revokeMyDevice({
        ctx: requestContext(request, ctx),
        input: { deviceId: request.params.deviceId },
      }),
  );
}
