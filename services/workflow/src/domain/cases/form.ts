import { errors, isSafeText } from '@tongban/service-kit';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const MAX_STRING = 2000;
const MAX_DEPTH = 8;
const CACHE_LIMIT = 200;

/**
 * Checks an applicant's form against its definition's form schema. Validators are compiled once
 * per published version (a version never changes, so the cache needs no expiry) and the cache
 * is bounded. Every string in the form is also held to the safe-text rule, as every other free
 * text in the API is.
 */
export function formValidators() {
  const ajv = addFormats(new Ajv({ allErrors: true, strict: false }));
  const cache = new Map<string, ValidateFunction>();

  return {
    check(key: string, schema: Record<string, unknown>, form: unknown): void {
      let validate = cache.get(key);
      if (validate === undefined) {
        if (cache.size >= CACHE_LIMIT) {
          const oldest = cache.keys().next().value;
          if (oldest !== undefined) cache.delete(oldest);
        }
        validate = ajv.compile(schema);
        cache.set(key, validate);
      }
      const unsafe = firstUnsafe(form, 'body.form', 0);
      if (unsafe !== undefined) {
        throw errors.validationFailed('The form holds text that is not allowed.', {
          errors: [unsafe],
        });
      }
      if (!validate(form)) {
        throw errors.validationFailed('The form does not match the service’s form.', {
          errors: (validate.errors ?? []).slice(0, 20).map((e) => ({
            field: `body.form${e.instancePath.replaceAll('/', '.')}${
              e.keyword === 'required' ? `.${String(e.params.missingProperty)}` : ''
            }${e.keyword === 'additionalProperties' ? `.${String(e.params.additionalProperty)}` : ''}`,
            message: e.message ?? 'is invalid',
          })),
        });
      }
    },
  };
}

export type FormValidators = ReturnType<typeof formValidators>;

function firstUnsafe(
  value: unknown,
  path: string,
  depth: number,
): { field: string; message: string } | undefined {
  if (typeof value === 'string') {
    return value.length > MAX_STRING || !isSafeText(value, { multiline: true })
      ? { field: path, message: 'holds control characters, bidi overrides or is too long' }
      : undefined;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return { field: path, message: 'is not a finite number' };
  }
  if (typeof value !== 'object' || value === null) return undefined;
  if (depth >= MAX_DEPTH) return { field: path, message: 'is nested too deeply' };
  for (const [key, child] of Object.entries(value)) {
    const at = `${path}.${key.slice(0, 40)}`;
    if (key.length > 100 || !isSafeText(key))
      return { field: at, message: 'is not an allowed name' };
    const found = firstUnsafe(child, at, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}
