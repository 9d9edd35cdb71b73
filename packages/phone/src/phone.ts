import { createIdentityClient, type IdentityClient } from '@tongban/clients';
import QRCode from 'qrcode';
import {
  type DeviceFile,
  generateDeviceKey,
  proofKeyOf,
  readDeviceFile,
  writeDeviceFile,
} from './device-file.js';
import { type DeviceAlg, makeProof, type ProofKey } from './proof.js';

/** A failure the person at the terminal can act on; the CLI prints its message, not a stack. */
export class PhoneError extends Error {}

export interface PhoneIo {
  readonly fetch: (request: Request) => Promise<Response>;
  readonly writeFile: (path: string, data: Uint8Array) => Promise<void>;
  readonly fileExists: (path: string) => Promise<boolean>;
  readonly now: () => Date;
}

const REQUEST_TIMEOUT_MS = 15_000;

interface Session {
  readonly identity: IdentityClient;
  readonly identityUrl: string;
  readonly key: ProofKey;
  readonly io: PhoneIo;
}

function session(identityUrl: string, key: ProofKey, io: PhoneIo): Session {
  const baseUrl = normaliseUrl(identityUrl);
  const identity = createIdentityClient({
    baseUrl,
    // A hung identity must not hang the terminal; a refused connection becomes a sentence.
    fetch: async (request) => {
      try {
        return await io.fetch(
          new Request(request, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) }),
        );
      } catch (cause) {
        throw new PhoneError(`cannot reach identity at ${baseUrl}: ${reason(cause)}`);
      }
    },
  });
  return { identity, identityUrl: baseUrl, key, io };
}

/** The proof for one call: identity checks `htu` against its public URLs, so it is built from the URL the phone was given. */
function proof(s: Session, method: string, path: string, accessToken?: string): Promise<string> {
  return makeProof(s.key, {
    method,
    url: `${s.identityUrl}${path}`,
    now: s.io.now(),
    ...(accessToken === undefined ? {} : { accessToken }),
  });
}

export interface ActivateInput {
  readonly code: string;
  readonly identityUrl: string;
  readonly alg: DeviceAlg;
  readonly devicePath: string;
  readonly label: string;
  readonly force: boolean;
}

export async function activate(input: ActivateInput, io: PhoneIo): Promise<DeviceFile> {
  if (!input.force && (await io.fileExists(input.devicePath))) {
    throw new PhoneError(
      `${input.devicePath} already holds a device key; pass --force to replace it, or --device <another file>`,
    );
  }
  const key = await generateDeviceKey(input.alg);
  const s = session(input.identityUrl, key, io);
  const path = '/v1/devices/activate';
  const res = await s.identity.POST(path, {
    body: { activationCode: input.code, label: input.label },
    headers: { dpop: await proof(s, 'POST', path) },
  });
  if (!res.data) throw refused('activation', res);
  const device: DeviceFile = {
    identityUrl: s.identityUrl,
    deviceId: res.data.deviceId,
    subjectId: res.data.subjectId,
    keyId: res.data.keyId,
    alg: key.alg,
    publicJwk: key.publicJwk,
    privateJwk: key.privateJwk,
    activatedAt: io.now().toISOString(),
  };
  await writeDeviceFile(input.devicePath, device);
  return device;
}

/** A resident token bound to the device key, as the phone gets one before each use. */
async function signIn(s: Session): Promise<{ authorization: string; accessToken: string }> {
  const path = '/v1/auth/device-token';
  const res = await s.identity.POST(path, { headers: { dpop: await proof(s, 'POST', path) } });
  if (!res.data) throw refused('sign-in with the device key', res);
  return {
    accessToken: res.data.accessToken,
    authorization: `${res.data.tokenType} ${res.data.accessToken}`,
  };
}

export interface DeviceInput {
  readonly devicePath: string;
  /** Overrides the URL kept in the device file (e.g. the portal's /api/identity). */
  readonly identityUrl?: string;
}

async function open(input: DeviceInput, io: PhoneIo): Promise<{ s: Session; device: DeviceFile }> {
  const device = await readDeviceFile(input.devicePath);
  const s = session(input.identityUrl ?? device.identityUrl, await proofKeyOf(device), io);
  return { s, device };
}

export async function presentationQr(
  input: DeviceInput & { readonly out: string },
  io: PhoneIo,
): Promise<{ token: string; expiresAt: string }> {
  const { s } = await open(input, io);
  const token = await signIn(s);
  const path = '/v1/presentations';
  const res = await s.identity.POST(path, {
    body: {},
    headers: {
      authorization: token.authorization,
      dpop: await proof(s, 'POST', path, token.accessToken),
    },
  });
  if (!res.data) throw refused('the presentation token', res);
  // ECC M and a 4-module quiet zone, as identity renders its own QR codes.
  const png = await QRCode.toBuffer(res.data.token, {
    type: 'png',
    errorCorrectionLevel: 'M',
    margin: 4,
    scale: 6,
  });
  await io.writeFile(input.out, png).catch((cause: unknown) => {
    throw new PhoneError(`cannot write ${input.out}: ${reason(cause)}`);
  });
  return res.data;
}

export interface Verification {
  readonly id: string;
  readonly verifiedAt: string;
  readonly verifier: {
    readonly kind: string;
    readonly department: { readonly code: string; readonly name: { zh: string; en: string } };
  };
  readonly counter: string | null;
}

/** Every page of the device's subject's verifications, newest first as identity lists them. */
export async function history(input: DeviceInput, io: PhoneIo): Promise<Verification[]> {
  const { s } = await open(input, io);
  const token = await signIn(s);
  const path = '/v1/me/verifications';
  const items: Verification[] = [];
  let cursor: string | undefined;
  do {
    const res = await s.identity.GET(path, {
      params: { query: { limit: 200, ...(cursor === undefined ? {} : { cursor }) } },
      headers: {
        authorization: token.authorization,
        dpop: await proof(s, 'GET', path, token.accessToken),
      },
    });
    if (!res.data) throw refused('the verification history', res);
    items.push(...res.data.items);
    cursor = res.data.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return items;
}

function refused(what: string, res: { response: Response; error?: unknown }): PhoneError {
  const body = (res.error ?? {}) as { code?: unknown; detail?: unknown };
  const code = typeof body.code === 'string' ? body.code : `HTTP ${res.response.status}`;
  const detail = typeof body.detail === 'string' ? `: ${body.detail}` : '';
  const hint =
    code === 'invalid_dpop_proof'
      ? " (the proof names the --identity URL; it must be one of identity's IDENTITY_PUBLIC_URLS, e.g. http://127.0.0.1:3001 rather than http://localhost:3001)"
      : '';
  return new PhoneError(`identity refused ${what} (${code})${detail}${hint}`);
}

function normaliseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new PhoneError(`--identity is not a URL: ${url}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new PhoneError(`--identity must be an http(s) URL: ${url}`);
  }
  return url.replace(/\/+$/, '');
}

function reason(cause: unknown): string {
  if (cause instanceof Error) {
    if (cause.name === 'TimeoutError') return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
    // fetch says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND…) is its cause.
    const inner = (cause as { cause?: unknown }).cause;
    if (inner instanceof Error) {
      const code = (inner as { code?: unknown }).code;
      return inner.message || (typeof code === 'string' ? code : cause.message);
    }
    return cause.message;
  }
  return String(cause);
}
