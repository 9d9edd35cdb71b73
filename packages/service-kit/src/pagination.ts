import {
  type Static,
  type TInteger,
  type TObject,
  type TOptional,
  type TString,
  Type,
} from 'typebox';
import { errors } from './errors.js';

/**
 * `?limit=&cursor=` on every list; the cursor is opaque to clients. `limit` is optional to the
 * caller (the OpenAPI document and the typed clients say so) and validation fills in its default,
 * so a handler, which only sees validated input, is typed with a number.
 */
export const ListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    cursor: Type.Optional(
      Type.String({ minLength: 1, maxLength: 512, pattern: '^[A-Za-z0-9_-]+$' }),
    ),
  },
  { additionalProperties: false },
) as unknown as TObject<{ limit: TInteger; cursor: TOptional<TString> }>;
export type ListQuery = Static<typeof ListQuery>;

export function listOf<T extends Parameters<typeof Type.Array>[0]>(item: T) {
  return Type.Object({
    items: Type.Array(item),
    nextCursor: Type.Union([Type.String(), Type.Null()]),
  });
}

export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** A cursor a client altered or made up is a 400, never a 500. */
export function decodeCursor(
  cursor: string | undefined,
  arity: number,
): (string | number)[] | undefined {
  if (cursor === undefined) return undefined;
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(key) &&
      key.length === arity &&
      key.every((k) => typeof k === 'string' || typeof k === 'number')
    ) {
      return key;
    }
  } catch {
    // fall through to the refusal below
  }
  throw errors.validationFailed('The cursor is not one this service issued.', {
    errors: [{ field: 'querystring.cursor', message: 'is invalid' }],
  });
}

/** Given limit+1 rows, returns the page and the cursor for the next one. */
export function page<Row, Item>(
  rows: readonly Row[],
  limit: number,
  toItem: (row: Row) => Item,
  keyOf: (row: Row) => readonly (string | number)[],
): { items: Item[]; nextCursor: string | null } {
  const visible = rows.slice(0, limit);
  const last = visible.at(-1);
  return {
    items: visible.map(toItem),
    nextCursor: rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null,
  };
}
