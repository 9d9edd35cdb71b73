import { type JWK, SignJWT } from 'jose';

/**
 * The resident's device in this browser: a P-256 key pair made by WebCrypto with
 * `extractable: false`, so the private key can sign but its bytes can never be read by any
 * script, this page's included. The CryptoKey objects themselves are kept in IndexedDB (they are
 * structured-cloneable); nothing else about the resident is stored.
 */
export interface Device {
  readonly deviceId: string;
  readonly subjectId: string;
  readonly keyId: string;
  readonly keys: CryptoKeyPair;
  readonly publicJwk: JWK;
  readonly activatedAt: string;
}

const DB_NAME = 'tongban-resident';
const STORE = 'device';
const CURRENT = 'current';

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function inStore<T>(
  mode: IDBTransactionMode,
  work: (store: IDBObjectStore) => IDBRequest<T>,
): Promise<T> {
  const db = await openDb();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = work(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

function isDevice(value: unknown): value is Device {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<Device>;
  return (
    typeof v.deviceId === 'string' &&
    typeof v.subjectId === 'string' &&
    v.keys?.privateKey instanceof CryptoKey &&
    v.keys.publicKey instanceof CryptoKey &&
    typeof v.publicJwk === 'object'
  );
}

/** The device activated in this browser, if any. */
export async function loadDevice(): Promise<Device | undefined> {
  const value = await inStore('readonly', (store) => store.get(CURRENT));
  return isDevice(value) ? value : undefined;
}

export async function saveDevice(device: Device): Promise<void> {
  await inStore('readwrite', (store) => store.put(device, CURRENT));
}

/** Forgets the device here: the key is gone for good, so the device is dead for this browser. */
export async function forgetDevice(): Promise<void> {
  await inStore('readwrite', (store) => store.delete(CURRENT));
}

/** A fresh P-256 key pair whose private half cannot be exported, and its public JWK. */
export async function generateDeviceKeys(): Promise<{ keys: CryptoKeyPair; publicJwk: JWK }> {
  const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
    'sign',
    'verify',
  ]);
  // The public half of a pair is always exportable, whatever `extractable` says.
  const { kty, crv, x, y } = (await crypto.subtle.exportKey('jwk', keys.publicKey)) as JWK;
  return { keys, publicJwk: { kty, crv, x, y } };
}

const base64url = (bytes: ArrayBuffer) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

/**
 * A DPoP proof (RFC 9449 §4.2) for one request: `htm` and `htu` name it (without query or
 * fragment, as the services compare), `jti` makes it single use, and `ath` binds it to the access
 * token sent with it. `url` must be one of the service's public URLs: the portal's
 * `/api/<service>` on this page's origin is one.
 */
export async function makeProof(
  key: { readonly keys: CryptoKeyPair; readonly publicJwk: JWK },
  request: { readonly method: string; readonly url: string; readonly accessToken?: string },
): Promise<string> {
  const url = new URL(request.url);
  const ath =
    request.accessToken === undefined
      ? undefined
      : base64url(
          await crypto.subtle.digest('SHA-256', new TextEncoder().encode(request.accessToken)),
        );
  return new SignJWT({
    htm: request.method.toUpperCase(),
    htu: `${url.origin}${url.pathname}`,
    iat: Math.floor(Date.now() / 1000),
    jti: crypto.randomUUID(),
    ...(ath === undefined ? {} : { ath }),
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.publicJwk })
    .sign(key.keys.privateKey);
}
