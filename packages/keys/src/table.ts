import { jsonb, type PgSchema, text, timestamp } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true });

/**
 * The signing-key table a service adds to its own `src/db/schema.ts`, so drizzle-kit generates it
 * into that service's migrations: `export const signingKeys = signingKeysTable(records);`.
 * Private halves are sealed under the service's key-encryption key, with the kid as associated data.
 */
export function signingKeysTable(schema: PgSchema) {
  return schema.table('signing_keys', {
    kid: text('kid').primaryKey(),
    publicJwk: jsonb('public_jwk').notNull(),
    privateKeyEncrypted: text('private_key_encrypted').notNull(),
    createdAt: ts('created_at').notNull(),
    /** Set when a newer key takes over signing; the key keeps verifying until published_until. */
    retiredAt: ts('retired_at'),
    /** Leaves the JWKS after this instant: every token it signed has expired by then. */
    publishedUntil: ts('published_until'),
  });
}

export type SigningKeysTable = ReturnType<typeof signingKeysTable>;
