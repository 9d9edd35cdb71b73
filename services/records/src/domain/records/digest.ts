import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/**
 * The RFC 8785 (JSON Canonicalization Scheme) form of a JSON value: object members sorted by
 * their names' UTF-16 code units, no insignificant whitespace, numbers as ECMAScript writes
 * them, strings with the minimal JSON escapes. The same data always yields the same bytes, so
 * anyone holding a record's fields can recompute its digest.
 */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('value has no JSON representation');
  return text;
}

/** A record version's digest: base64url(SHA-256(UTF-8 of the RFC 8785 canonical JSON of data)). */
export function recordDigest(data: unknown): string {
  return createHash('sha256').update(canonicalJson(data), 'utf8').digest('base64url');
}
