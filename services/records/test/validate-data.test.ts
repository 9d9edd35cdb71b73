import { describe, expect, it } from 'vitest';
import type { RecordTypeRow } from '../src/db/queries/record-types.js';
import { dataValidators } from '../src/domain/records/validate-data.js';

const typeRow = (code: string, fieldSchema: Record<string, unknown>): RecordTypeRow => ({
  code,
  issuerDepartment: 'health',
  nameZh: code,
  nameEn: code,
  fieldSchema,
  classification: {},
  version: 1,
  createdAt: new Date(0),
});

const failures = (run: () => void) => {
  try {
    run();
  } catch (err) {
    return (err as { extensions: { errors: unknown[] } }).extensions.errors;
  }
  return [];
};

describe('dataValidators', () => {
  it('keeps at most max compiled validators and still validates a type it dropped', () => {
    const validators = dataValidators({ max: 2 });
    const types = ['a_type', 'b_type', 'c_type'].map((code) =>
      typeRow(code, {
        $id: `https://tongban.example/record-types/${code}`,
        type: 'object',
        properties: { n: { type: 'integer' } },
        required: ['n'],
      }),
    );
    for (const type of types) validators.check(type, { n: 1 });
    expect(validators.size).toBe(2);
    // a_type was dropped; compiling it again works (its $id was released) and still validates.
    expect(failures(() => validators.check(types[0] as RecordTypeRow, { n: 'one' }))).toEqual([
      { field: 'body.data.n', message: 'must be integer' },
    ]);
    expect(validators.size).toBe(2);
  });

  it('writes JSON Pointer paths as dotted fields, unescaping ~1 and ~0', () => {
    const validators = dataValidators();
    const type = typeRow('paths', {
      type: 'object',
      properties: {
        'a/b': { type: 'object', properties: { 'c~d': { type: 'string' } } },
        list: { type: 'array', items: { type: 'integer' } },
      },
    });
    expect(failures(() => validators.check(type, { 'a/b': { 'c~d': 1 }, list: [1, 'x'] }))).toEqual(
      [
        { field: 'body.data.a/b.c~d', message: 'must be string' },
        { field: 'body.data.list.1', message: 'must be integer' },
      ],
    );
  });
});
