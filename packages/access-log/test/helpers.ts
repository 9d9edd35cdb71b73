import {
  consistencyProof,
  encodeProof,
  inclusionProof,
  rootHash,
  toBase64Url,
} from '@tongban/merkle-log';
import fc from 'fast-check';
import {
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  type JWK,
  SignJWT,
} from 'jose';
import {
  type AccessLogEntry,
  type AccessLogItem,
  DEFAULT_LOG_ISSUER,
  type KeyHistory,
  LOG_HEAD_TYP,
  leafHashOf,
} from '../src/index.js';

export interface LogKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
}

export async function makeKey(): Promise<LogKey> {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { kid, privateKey, jwk: { ...jwk, kid, alg: 'EdDSA', use: 'sig' } };
}

export const jwksOf = (...keys: LogKey[]) => ({ keys: keys.map((k) => k.jwk) });

export function historyOf(
  key: LogKey,
  window: { from: Date; until?: Date | null; withdrawnAt?: Date | null },
): KeyHistory {
  return {
    keys: [
      {
        kid: key.kid,
        jwk: key.jwk,
        signingFrom: window.from.toISOString(),
        signingUntil: window.until ? window.until.toISOString() : null,
        withdrawnAt: window.withdrawnAt ? window.withdrawnAt.toISOString() : null,
      },
    ],
  };
}

/** A head as records signs it: EdDSA, `typ` pinned, `kid`, and the payload of ADR 0013. */
export function signHead(
  key: LogKey,
  head: { treeSize: number; root: Uint8Array; iat?: number; issuer?: string },
  header: Record<string, unknown> = {},
): Promise<string> {
  const iat = head.iat ?? Math.floor(Date.UTC(2026, 2, 2, 9, 30) / 1000);
  return new SignJWT({
    iss: head.issuer ?? DEFAULT_LOG_ISSUER,
    tree_size: head.treeSize,
    root_hash: toBase64Url(head.root),
  })
    .setProtectedHeader({ alg: 'EdDSA', typ: LOG_HEAD_TYP, kid: key.kid, ...header })
    .setIssuedAt(iat)
    .setExpirationTime(iat + 86_400)
    .sign(key.privateKey);
}

const uuid = fc.uuid();
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });
const code = fc.stringMatching(/^[a-z][a-z0-9_]{1,12}$/);

/** Entries as records writes them: every member present, nulls explicit. */
export const anEntry: fc.Arbitrary<AccessLogEntry> = fc.record({
  id: uuid,
  occurredAt: fc
    .date({
      min: new Date('2020-01-01T00:00:00Z'),
      max: new Date('2040-01-01T00:00:00Z'),
      noInvalidDate: true,
    })
    .map((d) => d.toISOString()),
  subjectId: maybe(fc.string({ minLength: 1, maxLength: 20 })),
  readerKind: fc.constantFrom('staff' as const, 'client' as const, 'resident' as const),
  reader: fc.string({ minLength: 1, maxLength: 20 }),
  readerDepartment: maybe(code),
  purpose: fc.oneof(
    code,
    uuid.map((id) => `case:${id}`),
    fc.constant('self'),
  ),
  caseId: maybe(uuid),
  recordId: maybe(uuid),
  recordType: maybe(code),
  recordVersion: maybe(fc.integer({ min: 1, max: 1000 })),
  fields: fc.array(code, { maxLength: 5 }),
  outcome: fc.constantFrom('released' as const, 'denied' as const),
  denialCode: maybe(code),
});

/** Entries with distinct ids, as the log's primary key guarantees. */
export const entries = (options: { minLength?: number; maxLength: number }) =>
  fc.uniqueArray(anEntry, { ...options, selector: (e) => e.id });

/** The log a server would publish for these entries at `treeSize`: items with proofs, signed head. */
export async function publish(
  key: LogKey,
  all: readonly AccessLogEntry[],
  treeSize = all.length,
): Promise<{ checkpoint: string; items: AccessLogItem[]; leaves: Uint8Array[]; root: Uint8Array }> {
  const leaves = await Promise.all(all.map(leafHashOf));
  const root = await rootHash(leaves, treeSize);
  const checkpoint = await signHead(key, { treeSize, root });
  const items = await Promise.all(
    all.map(async (entry, i): Promise<AccessLogItem> => {
      if (i >= treeSize) return { entry, leafIndex: null, inclusionProof: null, treeSize: null };
      return {
        entry,
        leafIndex: i,
        inclusionProof: encodeProof(await inclusionProof(leaves, i, treeSize), 'base64url'),
        treeSize,
      };
    }),
  );
  return { checkpoint, items, leaves, root };
}

export async function consistency(
  leaves: readonly Uint8Array[],
  from: number,
  to: number,
): Promise<string[]> {
  return encodeProof(await consistencyProof(leaves, from, to), 'base64url');
}
