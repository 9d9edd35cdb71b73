import { randomBytes } from 'node:crypto';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK } from 'jose';
import { deviceKeyId, type KeyLike, type KeyResolver, keyThumbprint } from '../../src/index.js';

export interface IssuerKey {
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly publicJwk: JWK;
  readonly kid: string;
}

/** A fresh Ed25519 signing key named by its RFC 7638 thumbprint, as identity names its keys. */
export async function makeIssuerKey(): Promise<IssuerKey> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const publicJwk = await exportJWK(publicKey);
  const kid = await keyThumbprint(publicJwk);
  return { privateKey, publicKey, publicJwk: { ...publicJwk, kid, alg: 'EdDSA', use: 'sig' }, kid };
}

/** A resident's device key (P-256, as most phones' WebCrypto offers) and its 64-bit key id. */
export async function makeDeviceKeyId(): Promise<string> {
  const { publicKey } = await generateKeyPair('ES256');
  return deviceKeyId(await exportJWK(publicKey));
}

/** A pseudonymous subject id: 96 random bits. */
export function makeSubject(): string {
  return randomBytes(12).toString('base64url');
}

export function resolverFor(...keys: IssuerKey[]): KeyResolver {
  return { resolve: async (kid) => keys.find((key) => key.kid === kid)?.publicKey };
}

/** A resolver that answers every kid with the same key (or with none). */
export function fixedResolver(key: KeyLike | undefined): KeyResolver {
  return { resolve: async () => key };
}

export function b64json(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/**
 * Signs any header and payload with Ed25519 directly through WebCrypto, with none of the checks
 * jose applies when signing: hostile tokens must be exactly what an attacker could send.
 */
export async function signRaw(
  key: CryptoKey,
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
): Promise<string> {
  const input = `${b64json(header)}.${b64json(payload)}`;
  const signature = await crypto.subtle.sign('Ed25519', key, new TextEncoder().encode(input));
  return `${input}.${Buffer.from(signature).toString('base64url')}`;
}
