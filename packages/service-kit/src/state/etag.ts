import type { FastifyRequest } from 'fastify';
import { errors } from '../errors.js';

/** A versioned resource's strong entity tag. */
export const etagOf = (row: { readonly id: string; readonly version: number }): string =>
  `"${row.id}.v${row.version}"`;

/** What `If-Match` asks for: any current representation, or one of these strong tags. */
export type IfMatch = { readonly any: true } | { readonly any: false; readonly tags: string[] };

// RFC 9110 §8.8.3: entity-tag = [ W/ ] DQUOTE *etagc DQUOTE, etagc = %x21 / %x23-7E / obs-text.
const ENTITY_TAG = /^(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"$/;

/**
 * Parses `If-Match` (RFC 9110 §13.1.1): `*` or a comma-separated list of entity tags. Weak tags
 * are dropped, since If-Match uses the strong comparison and a weak tag never matches. A
 * malformed header is 400, so a client's typo is not taken as "no precondition".
 */
export function parseIfMatch(raw: string | readonly string[] | undefined): IfMatch | undefined {
  if (raw === undefined) return undefined;
  const value = (typeof raw === 'string' ? raw : raw.join(',')).trim();
  if (value === '*') return { any: true };
  const tags: string[] = [];
  for (const member of value.split(',')) {
    const item = member.trim();
    if (item === '') continue;
    const match = ENTITY_TAG.exec(item);
    if (match === null) throw invalidIfMatch();
    if (match[1] === undefined) tags.push(`"${match[2]}"`);
  }
  if (tags.length === 0 && !/W\//.test(value)) throw invalidIfMatch();
  return { any: false, tags };
}

/** True when the precondition holds for a resource whose current tag is `etag`. */
export function ifMatchHolds(ifMatch: IfMatch | undefined, etag: string): boolean {
  return ifMatch === undefined || ifMatch.any || ifMatch.tags.includes(etag);
}

/**
 * The versions of resource `id` that `If-Match` accepts: undefined for any version (`*`),
 * else the versions named by tags made by `etagOf` for this id (possibly none).
 */
export function versionsFromIfMatch(ifMatch: IfMatch, id: string): number[] | undefined {
  if (ifMatch.any) return undefined;
  const prefix = `"${id}.v`;
  const versions: number[] = [];
  for (const tag of ifMatch.tags) {
    if (!tag.startsWith(prefix) || !tag.endsWith('"')) continue;
    const digits = tag.slice(prefix.length, -1);
    if (/^[1-9][0-9]{0,9}$/.test(digits)) versions.push(Number(digits));
  }
  return versions;
}

/** For guarded routes: a change without `If-Match` is 428 `precondition_required` (RFC 6585 §3). */
export function requireIfMatch(request: Pick<FastifyRequest, 'headers'>): IfMatch {
  const ifMatch = parseIfMatch(request.headers['if-match']);
  if (ifMatch === undefined) {
    throw errors.preconditionRequired(
      'Send If-Match with the ETag you last read, so a concurrent change is not overwritten.',
    );
  }
  return ifMatch;
}

function invalidIfMatch() {
  return errors.validationFailed('If-Match must be * or a list of entity tags.', {
    errors: [{ field: 'headers.if-match', message: 'is invalid' }],
  });
}
