import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type CryptoKey, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import type { DeviceAlg, ProofKey } from './proof.js';

export const DEFAULT_DEVICE_FILE = '.data/phone/device.json';

/** What `activate` writes and `qr` and `history` read. */
export interface DeviceFile {
  readonly identityUrl: string;
  readonly deviceId: string;
  readonly subjectId: string;
  readonly keyId: string;
  readonly alg: DeviceAlg;
  readonly publicJwk: JWK;
  /** A real phone keeps this in its secure element, non-extractable; the demo keeps a file. */
  readonly privateJwk: JWK;
  readonly activatedAt: string;
}

export class DeviceFileError extends Error {}

export async function generateDeviceKey(
  alg: DeviceAlg,
): Promise<ProofKey & { readonly privateJwk: JWK }> {
  // Extractable only because the demo keeps the key in a file between runs.
  const pair = await generateKeyPair(alg, { extractable: true });
  const privateJwk = await exportJWK(pair.privateKey);
  const { d: _private, ...publicJwk } = privateJwk;
  return { alg, privateKey: pair.privateKey, publicJwk, privateJwk };
}

export async function proofKeyOf(device: DeviceFile): Promise<ProofKey> {
  const privateKey = (await importJWK(device.privateJwk, device.alg)) as CryptoKey;
  return { alg: device.alg, privateKey, publicJwk: device.publicJwk };
}

export async function writeDeviceFile(path: string, device: DeviceFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, `${JSON.stringify(device, null, 2)}\n`, { mode: 0o600 });
  // writeFile's mode applies only when it creates the file; a re-activation overwrites one.
  await chmod(path, 0o600);
}

export async function readDeviceFile(path: string): Promise<DeviceFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new DeviceFileError(
      `no device at ${path}: run "tongban-phone activate --code <activation code> --identity <URL>" first (or pass --device <file>)`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new DeviceFileError(`${path} is not JSON`);
  }
  if (!isDeviceFile(value)) throw new DeviceFileError(`${path} is not a demo phone's device file`);
  return value;
}

function isDeviceFile(value: unknown): value is DeviceFile {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.identityUrl === 'string' &&
    typeof v.deviceId === 'string' &&
    typeof v.subjectId === 'string' &&
    (v.alg === 'ES256' || v.alg === 'EdDSA') &&
    typeof v.publicJwk === 'object' &&
    v.publicJwk !== null &&
    typeof v.privateJwk === 'object' &&
    v.privateJwk !== null
  );
}
