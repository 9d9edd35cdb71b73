import type { Actor } from '@tongban/auth';
import { type ApiError, errors, type RequestContext, withTransaction } from '@tongban/service-kit';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { recordTypes } from '../../db/schema.js';
import { problem } from '../../errors.js';
import { recordChange } from '../events/record-change.js';
import { firstUnsafeJson } from '../safe-json.js';
import { type Classification, toRecordType } from './to-record-type.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
// Strict mode: a field schema with a typo ("requried") is refused instead of silently accepting anything.
const schemaChecker = addFormats(new Ajv({ strict: true, allErrors: false }));

export interface CreateRecordTypeInput {
  readonly code: string;
  readonly name: { readonly zh: string; readonly en: string };
  readonly issuerDepartment?: string | undefined;
  readonly fieldSchema: Record<string, unknown>;
  readonly classification: Readonly<Record<string, Classification>>;
}

function invalidSchema(message: string): ApiError {
  return errors.validationFailed('The field schema is not a usable JSON Schema.', {
    errors: [{ field: 'body.fieldSchema', message }],
  });
}

/**
 * A department declares a kind of record it issues. Only its administrator may, for their own
 * department (a system administrator for any); the field schema must be a strict JSON Schema of an
 * object, so every record of the type can be validated and every read can name its fields, and
 * the classification must name each of its top-level fields exactly once, so no field of a
 * record is ever unclassified when a policy decides what to release.
 */
export async function createRecordType({
  ctx,
  input,
}: {
  ctx: RequestContext<Actor>;
  input: CreateRecordTypeInput;
}) {
  const { actor } = ctx;
  const systemAdmin = actor.roles.includes('system_admin' as never);
  const issuer = input.issuerDepartment ?? actor.department;
  if (actor.kind !== 'staff' || issuer === undefined) throw errors.forbidden();
  if (
    !systemAdmin &&
    !(actor.roles.includes('department_admin' as never) && issuer === actor.department)
  ) {
    throw errors.forbidden(
      'Only an administrator of the issuing department declares its record types.',
    );
  }
  const unsafe = firstUnsafeJson(input.fieldSchema, 'body.fieldSchema', SCHEMA_LIMITS);
  if (unsafe) {
    throw errors.validationFailed('The field schema holds text that is not allowed.', {
      errors: [unsafe],
    });
  }
  if (input.fieldSchema.type !== 'object' || typeof input.fieldSchema.properties !== 'object') {
    throw invalidSchema('must be an object schema with properties');
  }
  try {
    schemaChecker.compile(input.fieldSchema);
  } catch (err) {
    throw invalidSchema((err as Error).message.slice(0, 200));
  } finally {
    // Ajv keeps every compiled schema (and claims its $id); this one was only a check.
    schemaChecker.removeSchema(input.fieldSchema);
  }
  checkClassification(input.fieldSchema, input.classification);
  return withTransaction(ctx, async (ctx) => {
    const [row] = await ctx.db
      .insert(recordTypes)
      .values({
        code: input.code,
        issuerDepartment: issuer,
        nameZh: input.name.zh,
        nameEn: input.name.en,
        fieldSchema: input.fieldSchema,
        classification: { ...input.classification },
        createdAt: ctx.clock(),
      })
      .onConflictDoNothing()
      .returning();
    if (!row) throw problem('already_exists', `Record type ${input.code} exists.`);
    const recordType = toRecordType(row);
    await recordChange(ctx, {
      aggregate: { type: 'record_type', id: row.code, version: row.version },
      type: 'record_type.created',
      data: {
        code: recordType.code,
        issuerDepartment: recordType.issuerDepartment,
        name: recordType.name,
      },
    });
    return recordType;
  });
}

// The field schema is free JSON: every key and string in it meets the safe-text rule, and it
// nests no deeper than a record's fields plausibly do.
const SCHEMA_LIMITS = { maxString: 1000, maxDepth: 16 };

/** The classification names exactly the field schema's top-level properties: none missing, none extra. */
function checkClassification(
  fieldSchema: Record<string, unknown>,
  classification: Readonly<Record<string, Classification>>,
): void {
  const fields = Object.keys(fieldSchema.properties as Record<string, unknown>);
  const classified = Object.keys(classification);
  const failures = [
    ...fields
      .filter((field) => !Object.hasOwn(classification, field))
      .map((field) => ({
        field: `body.classification.${field.slice(0, 40)}`,
        message: 'is required: classify every top-level field of the field schema',
      })),
    ...classified
      .filter((field) => !fields.includes(field))
      .map((field) => ({
        field: `body.classification.${field.slice(0, 40)}`,
        message: 'is not a top-level field of the field schema',
      })),
  ];
  if (failures.length > 0) {
    throw errors.validationFailed(
      'The classification must name exactly the top-level fields of the field schema.',
      { errors: failures.slice(0, 20) },
    );
  }
}
