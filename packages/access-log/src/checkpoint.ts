import { fromBase64Url, HASH_SIZE, toBase64Url } from '@tongban/merkle-log';
import {
  type CryptoKey,
  compactVerify,
  decodeProtectedHeader,
  importJWK,
  type JSONWebKeySet,
  type JWK,
} from 'jose';

/** The JOSE `typ` of a signed tree head of the access log. */
export const LOG_HEAD_TYP = 'tb-log-head+jwt';
/** The `iss` records puts in its heads unless configured otherwise (`ACCESS_LOG_ISSUER`). */
export const DEFAULT_LOG_ISSUER = 'tb-records';
/** Clock skew allowed between a head's `iat` and its key's signing window. */
export const KEY_WINDOW_SKEW_SECONDS = 30;

/**
 * One key records has signed with, from `GET /v1/access-log/keys`. A key signs from
 * `signingFrom` until `signingUntil` (null while it still signs); a withdrawn key (compromise)
 * carries `withdrawnAt`, and nothing it signed is evidence any more.
 */
export interface KeyHistoryEntry {
  readonly kid: string;
  readonly jwk: JWK;
  readonly signingFrom: string;
  readonly signingUntil: string | null;
  readonly withdrawnAt: string | null;
}

export interface KeyHistory {
  readonly keys: readonly KeyHistoryEntry[];
}

/**
 * The keys to verify heads with: records' key history (every key it ever signed with, for heads
 * of any age), or a plain JWKS (records' `/.well-known/jwks.json`: enough for a recent head,
 * whose key the JWKS still publishes until the head's `exp`).
 */
export type LogKeys = KeyHistory | JSONWebKeySet;

/** A signed tree head whose signature, issuer and key were checked. */
export interface Checkpoint {
  readonly treeSize: number;
  readonly rootHash: Uint8Array;
  readonly issuer: string;
  readonly issuedAt: Date;
  readonly kid: string;
  /** The compact JWS it was read from. */
  readonly jws: string;
}

export type CheckpointProblem =
  | 'malformed'
  | 'unknown_key'
  | 'signature_invalid'
  | 'wrong_issuer'
  | 'key_withdrawn'
  | 'outside_key_window';

export type CheckpointVerdict =
  | { readonly ok: true; readonly checkpoint: Checkpoint }
  | { readonly ok: false; readonly problem: CheckpointProblem; readonly detail: string };

export interface VerifyCheckpointOptions {
  /** The `iss` the head must carry; default `tb-records`. */
  readonly issuer?: string;
}

const refuse = (problem: CheckpointProblem, detail: string): CheckpointVerdict => ({
  ok: false,
  problem,
  detail,
});

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function isHistoryEntry(key: unknown): key is KeyHistoryEntry {
  return isRecord(key) && isRecord(key.jwk) && typeof key.kid === 'string';
}

function findKey(keys: LogKeys, kid: string): { jwk: JWK; history?: KeyHistoryEntry } | undefined {
  for (const key of keys.keys as readonly unknown[]) {
    if (isHistoryEntry(key)) {
      if (key.kid === kid) return { jwk: key.jwk, history: key };
    } else if (isRecord(key) && key.kid === kid) {
      return { jwk: key as JWK };
    }
  }
  return undefined;
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];

/**
 * Checks a head as any verifier must: EdDSA only, `typ` pinned, the key named by `kid` and taken
 * from the given keys — never from the token (`jwk`, `jku`, `x5u`, `x5c` are refused) — the
 * signature, the issuer, and a payload of `tree_size` and a 32-byte `root_hash`. A head's `exp`
 * is not checked: a signed root stays true; `exp` only says until when records' JWKS is sure to
 * still publish the key. With a key history the head's `iat` must fall in its key's signing
 * window, and a withdrawn key's heads are refused. Never throws: every failure is a verdict.
 */
export async function verifyCheckpoint(
  jws: string,
  keys: LogKeys,
  options: VerifyCheckpointOptions = {},
): Promise<CheckpointVerdict> {
  const issuer = options.issuer ?? DEFAULT_LOG_ISSUER;
  if (typeof jws !== 'string' || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(jws)) {
    return refuse('malformed', 'not a compact JWS');
  }
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jws);
  } catch {
    return refuse('malformed', 'the protected header is not JSON');
  }
  if (header.alg !== 'EdDSA') return refuse('malformed', `alg ${String(header.alg)} is not EdDSA`);
  if (header.typ !== LOG_HEAD_TYP) {
    return refuse('malformed', `typ ${String(header.typ)} is not ${LOG_HEAD_TYP}`);
  }
  for (const member of ['jwk', 'jku', 'x5u', 'x5c', 'crit'] as const) {
    if (member in header) return refuse('malformed', `the header carries ${member}`);
  }
  if (typeof header.kid !== 'string' || header.kid === '') {
    return refuse('malformed', 'the header names no kid');
  }
  const found = isRecord(keys) && Array.isArray(keys.keys) ? findKey(keys, header.kid) : undefined;
  if (!found) return refuse('unknown_key', `no key ${header.kid} among the keys given`);
  if (PRIVATE_MEMBERS.some((m) => m in found.jwk) || found.jwk.kty !== 'OKP') {
    return refuse('unknown_key', `key ${header.kid} is not an Ed25519 public key`);
  }

  let payloadBytes: Uint8Array;
  try {
    const key = (await importJWK({ ...found.jwk, alg: 'EdDSA' }, 'EdDSA')) as CryptoKey;
    ({ payload: payloadBytes } = await compactVerify(jws, key, { algorithms: ['EdDSA'] }));
  } catch {
    return refuse('signature_invalid', `the signature does not verify under key ${header.kid}`);
  }
  let payload: unknown;
  try {
    payload = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payloadBytes));
  } catch {
    return refuse('malformed', 'the payload is not JSON');
  }
  if (!isRecord(payload)) return refuse('malformed', 'the payload is not a JSON object');
  const { iss, tree_size: treeSize, root_hash: rootText, iat } = payload;
  if (iss !== issuer) return refuse('wrong_issuer', `iss ${String(iss)} is not ${issuer}`);
  if (typeof treeSize !== 'number' || !Number.isSafeInteger(treeSize) || treeSize < 0) {
    return refuse('malformed', 'tree_size is not a size');
  }
  if (typeof iat !== 'number' || !Number.isSafeInteger(iat) || iat < 0) {
    return refuse('malformed', 'iat is not a time');
  }
  let rootHash: Uint8Array;
  try {
    rootHash = fromBase64Url(typeof rootText === 'string' ? rootText : '');
  } catch {
    return refuse('malformed', 'root_hash is not base64url');
  }
  if (rootHash.length !== HASH_SIZE || toBase64Url(rootHash) !== rootText) {
    return refuse('malformed', 'root_hash is not a SHA-256 hash');
  }

  const history = found.history;
  if (history) {
    if (history.withdrawnAt !== null) {
      return refuse('key_withdrawn', `key ${header.kid} was withdrawn at ${history.withdrawnAt}`);
    }
    const issuedMs = iat * 1000;
    const skewMs = KEY_WINDOW_SKEW_SECONDS * 1000;
    const from = Date.parse(history.signingFrom);
    const until =
      history.signingUntil === null ? Number.POSITIVE_INFINITY : Date.parse(history.signingUntil);
    if (
      Number.isNaN(from) ||
      Number.isNaN(until) ||
      issuedMs < from - skewMs ||
      issuedMs > until + skewMs
    ) {
      return refuse(
        'outside_key_window',
        `issued at ${new Date(issuedMs).toISOString()}, outside the time key ${header.kid} signed`,
      );
    }
  }
  return {
    ok: true,
    checkpoint: {
      treeSize,
      rootHash,
      issuer: iss,
      issuedAt: new Date(iat * 1000),
      kid: header.kid,
      jws,
    },
  };
}
