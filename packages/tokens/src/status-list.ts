import { deflateSync, inflateSync } from 'node:zlib';
import { TokenError } from './errors.js';
import {
  checkHeader,
  DEFAULT_CLOCK_TOLERANCE_SECONDS,
  decodeBase64url,
  encodeBase64url,
  isBase64url,
  isNumericDate,
  isPlainObject,
  type KeyLike,
  type KeyResolver,
  MAX_KID_LENGTH,
  parseCompact,
  resolveOrThrow,
  signJwt,
  verifySignature,
} from './jws.js';

/**
 * Token Status List (draft-ietf-oauth-status-list): one status of `bits` bits per index, packed
 * from the least significant bit of byte 0 upwards, ZLIB-compressed (RFC 1950) and base64url-encoded.
 */
export const STATUS_LIST_TYP = 'statuslist+jwt';

/** Indices per list: the draft's test vectors use 2^20, and 1 bit each keeps a list at 128 KiB. */
export const STATUS_LIST_CAPACITY = 1_048_576;

/**
 * The URI status list `n` names itself by (`sub`): where identity serves it. The offline verifier
 * and the CLI match lists by this, so identity must sign lists with the same value.
 */
export function statusListUrl(identityUrl: string, listNumber: number): string {
  return `${identityUrl.replace(/\/+$/, '')}/v1/status-lists/${listNumber}`;
}

/** Status Types registered by the draft (§ Status Types). Other values are application-specific. */
export const StatusType = {
  VALID: 0x00,
  INVALID: 0x01,
  SUSPENDED: 0x02,
} as const;

export type StatusBits = 1 | 2 | 4 | 8;

/** The JSON form of a Status List (`status_list` claim). */
export interface EncodedStatusList {
  readonly bits: StatusBits;
  readonly lst: string;
}

export interface StatusListView {
  readonly bits: StatusBits;
  /** Number of indices the byte array holds (whole bytes, so possibly a little more than were set). */
  readonly size: number;
  /** The status at `index`, or `undefined` when the list does not cover it. */
  get(index: number): number | undefined;
}

/** Inflating more than this is refused: a few hundred bytes of `lst` could otherwise expand to gigabytes. */
export const MAX_STATUS_LIST_BYTES = 16 * 1024 * 1024;
/** A status list token is fetched and cached, never scanned from a QR code, so it may be large. */
export const MAX_STATUS_LIST_TOKEN_LENGTH = 8 * 1024 * 1024;

export function encodeStatusList(statuses: Uint8Array, bits: StatusBits): EncodedStatusList {
  if (!isStatusBits(bits)) {
    throw new TokenError('validation_failed', 'bits must be 1, 2, 4 or 8');
  }
  const limit = 1 << bits;
  const bytes = new Uint8Array(Math.ceil((statuses.length * bits) / 8));
  for (let index = 0; index < statuses.length; index++) {
    const status = statuses[index] ?? 0;
    if (status >= limit) {
      throw new TokenError(
        'validation_failed',
        `status ${status} at index ${index} does not fit in ${bits} bits`,
      );
    }
    const bit = index * bits;
    bytes[bit >>> 3] = (bytes[bit >>> 3] ?? 0) | (status << (bit & 7));
  }
  // The draft recommends the highest compression level; it also reproduces the draft's examples.
  return { bits, lst: encodeBase64url(deflateSync(bytes, { level: 9 })) };
}

export function decodeStatusList(list: { bits: unknown; lst: unknown }): StatusListView {
  const { bits, lst } = list;
  if (!isStatusBits(bits)) {
    throw new TokenError('malformed_token', 'status list bits must be 1, 2, 4 or 8');
  }
  if (typeof lst !== 'string' || !isBase64url(lst)) {
    throw new TokenError('malformed_token', 'status list lst is not base64url');
  }
  let bytes: Uint8Array;
  try {
    bytes = inflateSync(decodeBase64url(lst, 'lst'), { maxOutputLength: MAX_STATUS_LIST_BYTES });
  } catch (cause) {
    throw new TokenError('malformed_token', 'status list lst is not ZLIB data within 16 MiB', {
      cause,
    });
  }
  const size = (bytes.length * 8) / bits;
  const mask = (1 << bits) - 1;
  return {
    bits,
    size,
    get(index: number): number | undefined {
      if (!Number.isSafeInteger(index) || index < 0 || index >= size) return undefined;
      const bit = index * bits;
      return ((bytes[bit >>> 3] ?? 0) >>> (bit & 7)) & mask;
    },
  };
}

export interface IssueStatusListInput {
  /** The issuer's Ed25519 private key. */
  readonly key: KeyLike;
  readonly kid: string;
  readonly issuer: string;
  /** The list's own URI: the `sub` a verifier matches. */
  readonly uri: string;
  readonly list: EncodedStatusList;
  readonly now: Date;
  /** How long a consumer may cache the list before fetching a fresh one (draft: `ttl`). */
  readonly ttlSeconds: number;
  /** After this the list must not be relied on at all (`exp`); omit for a list that never expires. */
  readonly expiresInSeconds?: number;
}

export interface IssuedStatusList {
  readonly token: string;
  readonly issuedAt: Date;
  readonly expiresAt: Date | undefined;
}

export async function issueStatusListToken(input: IssueStatusListInput): Promise<IssuedStatusList> {
  const { ttlSeconds, expiresInSeconds } = input;
  invalidIf(!Number.isSafeInteger(ttlSeconds) || ttlSeconds <= 0, 'ttlSeconds must be positive');
  invalidIf(
    expiresInSeconds !== undefined &&
      (!Number.isSafeInteger(expiresInSeconds) || expiresInSeconds <= 0),
    'expiresInSeconds must be a positive integer',
  );
  invalidIf(input.kid.length === 0 || input.kid.length > MAX_KID_LENGTH, 'kid is 1 to 64 chars');
  invalidIf(input.issuer.length === 0, 'issuer must not be empty');
  invalidIf(input.uri.length === 0, 'uri must not be empty');
  invalidIf(Number.isNaN(input.now.getTime()), 'now must be a valid date');
  try {
    // Refuse to sign what a verifier would refuse to read.
    decodeStatusList(input.list);
  } catch (cause) {
    throw new TokenError('validation_failed', 'list is not a readable status list', { cause });
  }

  const iat = Math.floor(input.now.getTime() / 1000);
  const exp = expiresInSeconds === undefined ? undefined : iat + expiresInSeconds;
  const token = await signJwt(
    {
      iss: input.issuer,
      sub: input.uri,
      iat,
      ...(exp === undefined ? {} : { exp }),
      ttl: ttlSeconds,
      status_list: { bits: input.list.bits, lst: input.list.lst },
    },
    { typ: STATUS_LIST_TYP, kid: input.kid },
    input.key,
  );
  return {
    token,
    issuedAt: new Date(iat * 1000),
    expiresAt: exp === undefined ? undefined : new Date(exp * 1000),
  };
}

export interface VerifyStatusListOptions {
  readonly resolver: KeyResolver;
  /** When given, the list's `iss` must equal it. */
  readonly issuer?: string;
  readonly now: Date;
  readonly clockToleranceSeconds?: number;
}

export interface VerifiedStatusList extends StatusListView {
  readonly uri: string;
  readonly issuer: string | undefined;
  readonly issuedAt: Date;
  readonly expiresAt: Date | undefined;
  readonly ttl: number | undefined;
}

/**
 * Verifies a `statuslist+jwt` and opens its list. An expired list is refused
 * (`status_list_expired`): the draft says it MUST NOT be relied upon.
 */
export async function verifyStatusListToken(
  token: string,
  options: VerifyStatusListOptions,
): Promise<VerifiedStatusList> {
  const list = await verifyStatusListSignature(token, options);
  checkStatusListTime(list, options.now, options.clockToleranceSeconds);
  return list;
}

/** Signature, header and claims only; the caller decides what the clock means. */
export async function verifyStatusListSignature(
  token: string,
  options: Omit<VerifyStatusListOptions, 'now' | 'clockToleranceSeconds'>,
): Promise<VerifiedStatusList> {
  const { header, payload } = parseCompact(token, MAX_STATUS_LIST_TOKEN_LENGTH);
  const { kid } = checkHeader(header, STATUS_LIST_TYP);
  const { iss, sub, iat, exp, ttl, status_list: statusList } = payload;
  if (typeof sub !== 'string' || sub.length === 0) throw malformedClaim('sub');
  if (!isNumericDate(iat)) throw malformedClaim('iat');
  if (!isOptional(exp, isNumericDate)) throw malformedClaim('exp');
  if (!isOptional(ttl, isPositiveNumber)) throw malformedClaim('ttl');
  if (!isOptional(iss, isString)) throw malformedClaim('iss');
  if (!isPlainObject(statusList)) throw malformedClaim('status_list');
  if (options.issuer !== undefined && iss !== options.issuer) {
    throw new TokenError('signature_invalid', 'status list was not issued by the expected issuer');
  }

  await verifySignature(token, await resolveOrThrow(options.resolver, kid));

  // Only inflated once the signature holds: an attacker cannot make us decompress anything.
  const view = decodeStatusList({ bits: statusList.bits, lst: statusList.lst });
  return {
    uri: sub,
    issuer: iss,
    issuedAt: new Date(iat * 1000),
    expiresAt: exp === undefined ? undefined : new Date(exp * 1000),
    ttl,
    bits: view.bits,
    size: view.size,
    get: view.get,
  };
}

export function checkStatusListTime(
  list: Pick<VerifiedStatusList, 'issuedAt' | 'expiresAt'>,
  now: Date,
  clockToleranceSeconds = DEFAULT_CLOCK_TOLERANCE_SECONDS,
): void {
  const tolerance = clockToleranceSeconds * 1000;
  if (list.expiresAt !== undefined && now.getTime() > list.expiresAt.getTime() + tolerance) {
    throw new TokenError('status_list_expired', 'status list has expired');
  }
  if (now.getTime() < list.issuedAt.getTime() - tolerance) {
    throw new TokenError('status_list_not_yet_valid', 'status list is dated in the future');
  }
}

function isStatusBits(value: unknown): value is StatusBits {
  return value === 1 || value === 2 || value === 4 || value === 8;
}

function isOptional<T>(value: unknown, guard: (v: unknown) => v is T): value is T | undefined {
  return value === undefined || guard(value);
}

// The draft: `ttl` is "a positive number".
function isPositiveNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}

function malformedClaim(name: string): TokenError {
  return new TokenError('malformed_token', `claim "${name}" is missing or ill-typed`);
}

function invalidIf(condition: boolean, message: string): void {
  if (condition) throw new TokenError('validation_failed', message);
}
