import { Ajv, type Options } from 'ajv';
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
  return ({ schema, httpPart }) =>
    (httpPart === 'body' ? strict : coercing).compile(schema as object) as ReturnType<
      FastifySchemaCompiler<unknown>
    >;
}
