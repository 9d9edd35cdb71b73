import { Ajv, type Options, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

// ajv-formats is CommonJS; under NodeNext its default export arrives wrapped.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const common: Options = {
  allErrors: false,
  strict: false,
  useDefaults: true,
  // Unknown fields are an error where a schema forbids them, never silently dropped.
  removeAdditional: false,
};

/**
 * Bodies are validated as sent: a number sent as a string is a wrong type, not a conversion.
 * Query strings, params and headers only exist as text, so they are coerced to the schema.
 */
export function schemaCompilers(): FastifySchemaCompiler<unknown> {
  const strict = addFormats(new Ajv({ ...common, coerceTypes: false }));
  const coercing = addFormats(new Ajv({ ...common, coerceTypes: 'array' }));
  return ({ schema, httpPart }) => {
    if (httpPart === 'body') {
      return strict.compile(schema as object) as unknown as Validator;
    }
    return strictNumbers(coercing.compile(schema as object), schema);
  };
}

// Ajv coerces with JavaScript's Number(): "0x1", "01", "+1", "1.0", "1e0" and " 1" all become 1,
// so /v1/status-lists/0x1 served list 1. A number in a path, query or header is accepted only
// in its one plain decimal spelling, checked on the text before Ajv converts it.
const PLAIN_INTEGER = /^(0|-?[1-9][0-9]*)$/;
const PLAIN_NUMBER = /^(?!-0$)-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;

type Validator = ReturnType<FastifySchemaCompiler<unknown>>;

function strictNumbers(validate: ValidateFunction, schema: unknown): Validator {
  const numeric = numericProperties(schema);
  if (numeric.size === 0) return validate as unknown as Validator;
  const checked = ((data: unknown) => {
    if (typeof data === 'object' && data !== null) {
      for (const [name, plain] of numeric) {
        const raw = (data as Record<string, unknown>)[name];
        const values = Array.isArray(raw) ? raw : [raw];
        if (values.some((v) => typeof v === 'string' && !plain.test(v))) {
          checked.errors = [
            {
              instancePath: `/${name}`,
              schemaPath: `#/properties/${name}/type`,
              keyword: 'type',
              params: { type: 'integer' },
              message: 'must be plain decimal digits (no "+", leading zero, hex or exponent)',
            },
          ];
          return false;
        }
      }
    }
    const valid = validate(data);
    checked.errors = validate.errors;
    return valid;
  }) as ((data: unknown) => boolean) & { errors?: ValidateFunction['errors'] };
  return checked as unknown as Validator;
}

/** Top-level properties typed integer or number (path, query and header schemas are flat). */
function numericProperties(schema: unknown): Map<string, RegExp> {
  const found = new Map<string, RegExp>();
  const properties = (schema as { properties?: Record<string, unknown> } | null)?.properties;
  if (typeof properties !== 'object' || properties === null) return found;
  for (const [name, property] of Object.entries(properties)) {
    const type = (property as { type?: unknown } | null)?.type;
    const types = Array.isArray(type) ? type : [type];
    if (types.includes('integer')) found.set(name, PLAIN_INTEGER);
    else if (types.includes('number')) found.set(name, PLAIN_NUMBER);
  }
  return found;
}
