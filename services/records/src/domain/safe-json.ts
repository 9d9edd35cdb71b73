import { isSafeText } from '@tongban/service-kit';

export interface SafeJsonLimits {
  /** Longest string value, in UTF-16 code units. */
  readonly maxString: number;
  /** Deepest nesting of objects and arrays. */
  readonly maxDepth: number;
}

const MAX_KEY = 200;

/**
 * Free JSON (a field schema, a record's data) cannot be typed by the request schema, so its
 * strings are held here to the rule SafeText applies to every other text field: keys are
 * single-line safe text, string values safe text that may span lines (addresses, notes), both
 * bounded. Numbers must be finite (JSON.parse turns 1e400 into Infinity, which no canonical
 * form can carry), and nesting is bounded. Returns the path of the first offender and why.
 */
export function firstUnsafeJson(
  value: unknown,
  path: string,
  limits: SafeJsonLimits,
  depth = 0,
): { readonly field: string; readonly message: string } | undefined {
  if (typeof value === 'string') {
    return value.length > limits.maxString || !isSafeText(value, { multiline: true })
      ? { field: path, message: 'holds control characters, bidi overrides or is too long' }
      : undefined;
  }
  if (typeof value === 'number') {
    return Number.isFinite(value) ? undefined : { field: path, message: 'is not a finite number' };
  }
  if (typeof value !== 'object' || value === null) return undefined;
  if (depth >= limits.maxDepth) return { field: path, message: 'is nested too deeply' };
  for (const [key, child] of Object.entries(value)) {
    const at = `${path}.${key.slice(0, 40)}`;
    if (key.length > MAX_KEY || !isSafeText(key)) {
      return {
        field: at,
        message: 'has a name with control characters, bidi overrides or too long',
      };
    }
    const found = firstUnsafeJson(child, at, limits, depth + 1);
    if (found) return found;
  }
  return undefined;
}
