import type { Actor } from '@tongban/auth';
import {
  type ApiError,
  errors,
  isSafeText,
  type RequestContext,
  withTransaction,
} from '@tongban/service-kit';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { recordTypes } from '../../db/schema.js';
import { problem } from '../../errors.js';
import { recordChange } from '../events/record-change.js';
import { toRecordType } from './list-record-types.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
// Strict mode: a field schema with a typo ("requried") is refused instead of silently accepting anything.
const schemaChecker = addFormats(new Ajv({ strict: true, allErrors: false }));

export interface CreateRecordTypeInput {
  readonly code: string;
  readonly name: { readonly zh: string; readonly en: string };
  readonly issuerDepartment?: string | undefined;
  readonly fieldSchema: Record<string, unknown>;
}

function invalidSchema(message: string): ApiError {
  return errors.validationFailed('The field schema is not a usable JSON Schema.', {
    errors: [{ field: 'body.fieldSchema', message }],
  });
}

/**
 * A department declares a kind of record it issues. Only its administrator may, for their own
 * department (a system administrator for any); the field schema must be a strict JSON Schema of an
 * object, so every record of the type can be validated and every read can name its fields.
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
  const unsafe = unsafeText(input.fieldSchema, 'body.fieldSchema', 0);
  if (unsafe) {
    throw errors.validationFailed('The field schema holds text that is not allowed.', {
      errors: [
        { field: unsafe, message: 'holds control characters, bidi overrides or is too long' },
      ],
    });
  }
  if (input.fieldSchema.type !== 'object' || typeof input.fieldSchema.properties !== 'object') {
    throw invalidSchema('must be an object schema with properties');
  }
  try {
    schemaChecker.compile(input.fieldSchema);
  } catch (err) {
    throw invalidSchema((err as Error).message.slice(0, 200));
  }
  return withTransaction(ctx, async (ctx) => {
    const [row] = await ctx.db
      .insert(recordTypes)
      .values({
        code: input.code,
        issuerDepartment: issuer,
        nameZh: input.name.zh,
        nameEn: input.name.en,
        fieldSchema: input.fieldSchema,
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

const MAX_SCHEMA_TEXT = 1000;
const MAX_SCHEMA_DEPTH = 16;

/**
 * The field schema is free JSON, so the request schema cannot type its strings: every key and
 * string in it meets the same safe-text rule as any other text field (descriptions may span
 * lines), and it nests no deeper than a record's fields plausibly do. Returns the first offender.
 */
function unsafeText(value: unknown, path: string, depth: number): string | undefined {
  if (typeof value === 'string') {
    return value.length > MAX_SCHEMA_TEXT || !isSafeText(value, { multiline: true })
      ? path
      : undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  if (depth >= MAX_SCHEMA_DEPTH) return path;
  for (const [key, child] of Object.entries(value)) {
    const at = `${path}.${key.slice(0, 40)}`;
    if (key.length > 200 || !isSafeText(key)) return at;
    const found = unsafeText(child, at, depth + 1);
    if (found) return found;
  }
  return undefined;
}
