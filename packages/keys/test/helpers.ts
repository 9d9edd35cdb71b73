import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { type Database, openDatabase } from '@tongban/db';
import { createTestDatabase } from '@tongban/testing';
import type { KeyResolver } from '@tongban/tokens';
import { pgSchema } from 'drizzle-orm/pg-core';
import { decodeProtectedHeader, type JWTPayload, jwtVerify } from 'jose';
import { type SigningKeyStore, signingKeys, signingKeysTable } from '../src/index.js';

/** The table as a service would declare it; the fixture migration creates the same columns. */
export const table = signingKeysTable(pgSchema('keys_test'));

export interface KeyDatabase {
  readonly database: Database;
  close(): Promise<void>;
}

export async function openKeyDatabase(): Promise<KeyDatabase> {
  const target = await createTestDatabase();
  const database = await openDatabase({
    service: 'keys_test',
    target: target.target,
    migrationsFolder: fileURLToPath(new URL('./fixtures/migrations', import.meta.url)),
  });
  try {
    await database.migrate();
  } catch (err) {
    await database.close();
    await target.drop();
    throw err;
  }
  return {
    database,
    async close() {
      await database.close();
      await target.drop();
    },
  };
}

/** A clock the test moves by hand; every store, token and check in a test reads it. */
export function manualClock(start = new Date('2026-03-01T08:00:00Z')) {
  let now = start.getTime();
  const clock = () => new Date(now);
  return Object.assign(clock, {
    advance(ms: number) {
      now += ms;
    },
  });
}

export const OVERLAP_MS = 15 * 60_000;
export const MAX_AGE_MS = 30 * 86_400_000;

export function storeFor(
  database: Database,
  clock: () => Date,
  masterKey: Buffer = randomBytes(32),
): SigningKeyStore {
  return signingKeys({
    service: 'keys-test',
    db: database.db,
    table,
    masterKey,
    clock,
    overlapMs: OVERLAP_MS,
    maxAgeMs: MAX_AGE_MS,
  });
}

/** Verifies a compact JWS the way any relying party does: kid from the header, key from a resolver. */
export async function verifyWith(
  resolver: KeyResolver,
  token: string,
  now: Date,
): Promise<JWTPayload> {
  const { kid } = decodeProtectedHeader(token);
  if (typeof kid !== 'string') throw new Error('no kid');
  const key = await resolver.resolve(kid);
  if (!key) throw new Error(`unknown kid ${kid}`);
  const { payload } = await jwtVerify(token, key, { algorithms: ['EdDSA'], currentDate: now });
  return payload;
}
