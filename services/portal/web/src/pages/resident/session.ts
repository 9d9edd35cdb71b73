import {
  createIdentityClient,
  createRecordsClient,
  createWorkflowClient,
  type IdentityClient,
  type RecordsClient,
  type WorkflowClient,
} from '@tongban/clients';
import { type Device, generateDeviceKeys, makeProof, saveDevice } from './device.js';

/** Why a call was refused, as the service's problem `code`, or `unavailable` when unreachable. */
export class ResidentError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
  ) {
    super(code);
    this.name = 'ResidentError';
  }
}

export function refusal(res: { error?: unknown; response: Response }): ResidentError {
  const code = (res.error as { code?: unknown } | undefined)?.code;
  return new ResidentError(typeof code === 'string' ? code : 'unavailable', res.response.status);
}

const gateway = (service: string, origin: string) => `${origin}/api/${service}`;

/** Activates this browser as the resident's device with the code from their letter. */
export async function activateDevice(code: string, label: string, origin: string): Promise<Device> {
  const { keys, publicJwk } = await generateDeviceKeys();
  const identity = createIdentityClient({ baseUrl: gateway('identity', origin) });
  const url = `${gateway('identity', origin)}/v1/devices/activate`;
  let res: Awaited<ReturnType<IdentityClient['POST']>>;
  try {
    res = await identity.POST('/v1/devices/activate', {
      body: { activationCode: code, label },
      headers: { dpop: await makeProof({ keys, publicJwk }, { method: 'POST', url }) },
    });
  } catch {
    throw new ResidentError('unavailable', 0);
  }
  if (!res.data) throw refusal(res);
  const data = res.data as { deviceId: string; subjectId: string; keyId: string };
  const device: Device = {
    deviceId: data.deviceId,
    subjectId: data.subjectId,
    keyId: data.keyId,
    keys,
    publicJwk,
    activatedAt: new Date().toISOString(),
  };
  await saveDevice(device);
  return device;
}

interface Token {
  readonly accessToken: string;
  /** Epoch ms after which the token is no longer used. */
  readonly renewAt: number;
}

/** The services as the resident reaches them: a device-bound token and a fresh proof per call. */
export interface ResidentApi {
  readonly device: Device;
  readonly identity: IdentityClient;
  readonly workflow: WorkflowClient;
  readonly records: RecordsClient;
  /** The public records client (key history, consistency proofs): no token, no proof. */
  readonly publicRecords: RecordsClient;
}

/**
 * A resident session for the device: the access token (15 minutes, bound to the device key) is
 * asked for with a device proof when first needed and again shortly before it expires. It lives
 * in memory only; the key in IndexedDB is what lets the resident sign in again.
 */
export function residentApi(device: Device, origin: string): ResidentApi {
  let current: Token | undefined;
  let pending: Promise<Token> | undefined;
  const identityUrl = gateway('identity', origin);

  async function signIn(): Promise<Token> {
    const identity = createIdentityClient({ baseUrl: identityUrl });
    const res = await identity
      .POST('/v1/auth/device-token', {
        headers: {
          dpop: await makeProof(device, {
            method: 'POST',
            url: `${identityUrl}/v1/auth/device-token`,
          }),
        },
      })
      .catch(() => undefined);
    if (res === undefined) throw new ResidentError('unavailable', 0);
    if (!res.data) throw refusal(res);
    return {
      accessToken: res.data.accessToken,
      renewAt: Date.now() + Math.max(res.data.expiresIn - 60, 10) * 1000,
    };
  }

  const token = async (): Promise<string> => {
    if (current && current.renewAt > Date.now()) return current.accessToken;
    pending ??= signIn().finally(() => {
      pending = undefined;
    });
    current = await pending;
    return current.accessToken;
  };

  // Every request carries `Authorization: DPoP <token>` and a proof (RFC 9449) naming exactly
  // the URL it goes to, so the proof is right for whichever service the request reaches.
  const sign = async (request: Request): Promise<Request> => {
    const accessToken = await token();
    request.headers.set('authorization', `DPoP ${accessToken}`);
    request.headers.set(
      'dpop',
      await makeProof(device, { method: request.method, url: request.url, accessToken }),
    );
    return request;
  };
  const identity = createIdentityClient({ baseUrl: identityUrl });
  identity.use({ onRequest: ({ request }) => sign(request) });
  const workflow = createWorkflowClient({ baseUrl: gateway('workflow', origin) });
  workflow.use({ onRequest: ({ request }) => sign(request) });
  const records = createRecordsClient({ baseUrl: gateway('records', origin) });
  records.use({ onRequest: ({ request }) => sign(request) });
  return {
    device,
    identity,
    workflow,
    records,
    publicRecords: createRecordsClient({ baseUrl: gateway('records', origin) }),
  };
}
