import { leafHash } from '@tongban/merkle-log';
import canonicalize from 'canonicalize';

/**
 * One access-log entry exactly as records' API returns it under `entry` (ADR 0013). Every member
 * is always present, null when it does not apply, so the canonical JSON — and with it the leaf —
 * is fully determined by the entry. The shape is frozen: a new member would change every leaf,
 * so it would need a new leaf version, not an edit here.
 */
export interface AccessLogEntry {
  readonly id: string;
  /** ISO 8601 in UTC with milliseconds, as `Date.prototype.toISOString` writes it. */
  readonly occurredAt: string;
  /** Whose data; null when a refused read named no existing record. */
  readonly subjectId: string | null;
  readonly readerKind: 'staff' | 'client' | 'resident';
  readonly reader: string;
  readonly readerDepartment: string | null;
  readonly purpose: string;
  readonly caseId: string | null;
  readonly recordId: string | null;
  readonly recordType: string | null;
  readonly recordVersion: number | null;
  /** The fields released, in the order the log holds them; empty for a refusal. */
  readonly fields: readonly string[];
  readonly outcome: 'released' | 'denied';
  /** The error code of a refused read. */
  readonly denialCode: string | null;
}

/**
 * The leaf of an entry: the UTF-8 bytes of its RFC 8785 canonical JSON. Pass the entry as the
 * API returned it — whatever members it carries are hashed, so an entry altered anywhere between
 * the log and the verifier no longer matches its proof.
 */
export function leafOf(entry: AccessLogEntry): Uint8Array {
  const text = canonicalize(entry);
  if (text === undefined) throw new TypeError('an access-log entry must be a JSON object');
  return new TextEncoder().encode(text);
}

/** SHA-256(0x00 ‖ leaf), the entry's leaf hash in the Merkle tree (RFC 9162 §2.1.1). */
export function leafHashOf(entry: AccessLogEntry): Promise<Uint8Array> {
  return leafHash(leafOf(entry));
}
