import { errors } from '@tongban/service-kit';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { RecordTypeRow } from '../../db/queries/record-types.js';
import { firstUnsafeJson } from '../safe-json.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** A record's data: its strings are safe text (up to 10,000 characters), nested 16 deep at most. */
const DATA_LIMITS = { maxString: 10_000, maxDepth: 16 };
/** At most this many field errors in one answer. */
const MAX_ERRORS = 20;

export interface DataValidators {
  /** Throws 400 `validation_failed` naming each failing path under `body.data`. */
  check(type: RecordTypeRow, data: Record<string, unknown>): void;
  /** How many compiled validators are held (for tests of the bound). */
  readonly size: number;
}

/**
 * Validators of record data, compiled from each type's field schema on first use and kept per
 * type code. A record type never changes once created (there is no route that edits one), so a
 * compiled validator never goes stale and needs no expiry; the cache is bounded, dropping the
 * validator compiled longest ago. One per app, so two apps (two databases) never share one.
 */
export function dataValidators(options: { readonly max?: number } = {}): DataValidators {
  const max = options.max ?? 256;
  // The same strictness as when the type's schema was accepted; every error, not just the first.
  const ajv = addFormats(new Ajv({ strict: true, allErrors: true }));
  const compiled = new Map<string, ValidateFunction>();

  const validatorFor = (type: RecordTypeRow): ValidateFunction => {
    const cached = compiled.get(type.code);
    if (cached) return cached;
    const schema = type.fieldSchema as object;
    const validate = ajv.compile(schema);
    // The validator is ours now; Ajv's own cache would otherwise grow without bound.
    ajv.removeSchema(schema);
    compiled.set(type.code, validate);
    if (compiled.size > max) {
      const oldest = compiled.keys().next().value;
      if (oldest !== undefined) compiled.delete(oldest);
    }
    return validate;
  };

  return {
    check(type, data) {
      const unsafe = firstUnsafeJson(data, 'body.data', DATA_LIMITS);
      if (unsafe) {
        throw errors.validationFailed('The record data holds a value that is not allowed.', {
          errors: [unsafe],
        });
      }
      const validate = validatorFor(type);
      if (!validate(data)) {
        throw errors.validationFailed(`The data does not match the ${type.code} field schema.`, {
          errors: (validate.errors ?? []).slice(0, MAX_ERRORS).map(fieldError),
        });
      }
    },
    get size() {
      return compiled.size;
    },
  };
}

/** An Ajv error as `{ field, message }`, with the path as the shared validation errors write it. */
function fieldError(error: ErrorObject): { field: string; message: string } {
  const segments = error.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~').slice(0, 40));
  const params = error.params as { missingProperty?: unknown; additionalProperty?: unknown };
  if (typeof params.missingProperty === 'string') segments.push(params.missingProperty);
  if (typeof params.additionalProperty === 'string') segments.push(params.additionalProperty);
  const message =
    error.keyword === 'required'
      ? 'is required'
      : error.keyword === 'additionalProperties'
        ? 'is not allowed here'
        : (error.message ?? 'is invalid');
  return { field: ['body.data', ...segments].join('.'), message };
}
