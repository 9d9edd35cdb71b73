import { createIdentityClient, type IdentityClient } from '@tongban/clients';
import QRCode from 'qrcode';
import { type AccessLogReport, accessLogFileFor, checkMyAccessLog } from './access-log.js';
import {
  answerMyCase,
  type CaseReport,
  listMyCases,
  type MyCase,
  type WorkflowSession,
  withdrawMyCase,
} from './cases.js';
import {
  type DeviceFile,
  generateDeviceKey,
  proofKeyOf,
  readDeviceFile,
  writeDeviceFile,
} from './device-file.js';
import { type DeviceAlg, makeProof, type ProofKey } from './proof.js';
import {
  boundedFetch,
  normaliseUrl,
  PhoneError,
  type PhoneIo,
  reason,
  refused,
} from './support.js';

export { PhoneError, type PhoneIo } from './support.js';

interface Session {
  readonly identity: IdentityClient;
  readonly identityUrl: string;
  readonly key: ProofKey;
  readonly io: PhoneIo;
}

function session(identityUrl: string, key: ProofKey, io: PhoneIo): Session {
  const baseUrl = normaliseUrl(identityUrl, '--identity');
  const identity = createIdentityClient({
    baseUrl,
    fetch: boundedFetch(io, 'identity', baseUrl),
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
  if (!res.data) throw refused('identity', 'activation', res);
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
  if (!res.data) throw refused('identity', 'sign-in with the device key', res);
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
  if (!res.data) throw refused('identity', 'the presentation token', res);
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
    if (!res.data) throw refused('identity', 'the verification history', res);
    items.push(...res.data.items);
    cursor = res.data.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return items;
}

export interface ReadsInput extends DeviceInput {
  /** Records' base URL as it knows itself (one of `RECORDS_PUBLIC_URLS`). */
  readonly recordsUrl: string;
  /** Where the last verified look is kept; by default `access-log.json` next to the device file. */
  readonly statePath?: string;
}

/** Who read this resident's data: signs in at identity as `history` does, then checks records' log. */
export async function reads(input: ReadsInput, io: PhoneIo): Promise<AccessLogReport> {
  // A URL records could never accept is refused before identity is asked for a token.
  const recordsUrl = normaliseUrl(input.recordsUrl, '--records');
  const { s, device } = await open(input, io);
  const token = await signIn(s);
  return checkMyAccessLog(
    {
      session: {
        recordsUrl,
        key: s.key,
        accessToken: token.accessToken,
        authorization: token.authorization,
      },
      statePath: input.statePath ?? accessLogFileFor(input.devicePath),
      subjectId: device.subjectId,
    },
    io,
  );
}

export interface WorkflowInput extends DeviceInput {
  /** Workflow's base URL as it knows itself (one of `WORKFLOW_PUBLIC_URLS`). */
  readonly workflowUrl: string;
}

/** Signs in at identity as `history` does, then holds what workflow needs from the phone. */
async function workflowSession(input: WorkflowInput, io: PhoneIo): Promise<WorkflowSession> {
  // A URL workflow could never accept is refused before identity is asked for a token.
  const workflowUrl = normaliseUrl(input.workflowUrl, '--workflow');
  const { s } = await open(input, io);
  const token = await signIn(s);
  return { workflowUrl, key: s.key, ...token };
}

/** The resident's cases, each open or recent one with its timeline. */
export async function cases(input: WorkflowInput, io: PhoneIo): Promise<CaseReport[]> {
  return listMyCases(await workflowSession(input, io), io);
}

/** Withdraws the resident's application. */
export async function withdraw(
  input: WorkflowInput & { readonly caseId: string; readonly reason?: string },
  io: PhoneIo,
): Promise<MyCase> {
  const { caseId, reason } = input;
  return withdrawMyCase(
    await workflowSession(input, io),
    { caseId, ...(reason === undefined ? {} : { reason }) },
    io,
  );
}

/** Answers a department's request for information on the resident's case. */
export async function answer(
  input: WorkflowInput & { readonly caseId: string; readonly message: string },
  io: PhoneIo,
): Promise<MyCase> {
  return answerMyCase(
    await workflowSession(input, io),
    { caseId: input.caseId, message: input.message },
    io,
  );
}
