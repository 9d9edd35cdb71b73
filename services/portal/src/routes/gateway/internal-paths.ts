/**
 * First path segments a service serves to its operators only. The gateway never forwards them:
 * /metrics shows internals (routes, pool sizes, key age) that the public must not read.
 */
const INTERNAL_SEGMENTS = new Set(['metrics']);

// Enough rounds to see through a double or triple encoding an intermediary might undo.
const MAX_DECODE_ROUNDS = 4;

/**
 * True when `url` (a request's raw target, `/api/<service>/…`) would reach an internal route of
 * the service, however it is spelt: repeated or back-slashes, `.` and `..` segments,
 * percent-encoding (also nested), letter case, `;` parameters, a query or a fragment. A path
 * that cannot be decoded counts as internal: the gateway has no business guessing what the
 * service would make of it.
 */
export function reachesInternalRoute(url: string): boolean {
  const rawPath = url.split(/[?#]/, 1)[0] ?? '';
  // What the service sees after the gateway strips /api/<service>, however the prefix was spelt
  // for the router; and the whole path normalised, in case dot segments climb out of the prefix.
  const afterPrefix = segmentsOf(rawPath.split('/').slice(3).join('/'));
  const whole = segmentsOf(rawPath);
  if (afterPrefix === undefined || whole === undefined) return true;
  return isInternal(afterPrefix[0]) || (whole[0] === 'api' && isInternal(whole[2]));
}

function isInternal(segment: string | undefined): boolean {
  return segment !== undefined && INTERNAL_SEGMENTS.has(segment);
}

/** Decoded, dot-resolved, lower-cased segments without `;` parameters; undefined if undecodable. */
function segmentsOf(path: string): string[] | undefined {
  let decoded = path;
  for (let round = 0; ; round++) {
    let next: string;
    try {
      next = decodeURIComponent(decoded);
    } catch {
      return undefined;
    }
    if (next === decoded) break;
    if (round === MAX_DECODE_ROUNDS) return undefined;
    decoded = next;
  }
  const segments: string[] = [];
  for (const raw of decoded.split(/[/\\]/)) {
    const segment = (raw.split(';', 1)[0] ?? '').trim().toLowerCase();
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      segments.pop();
      continue;
    }
    segments.push(segment);
  }
  return segments;
}
