import type { Db } from '@tongban/db';
import type { ServiceInstance } from '@tongban/service-kit';
import { type Clock, SigningKeyStore } from './key-store.js';
import { keyRoutes } from './routes.js';
import { deriveKeyEncryptionKey } from './sealing.js';
import type { SigningKeysTable } from './table.js';

export interface SigningKeysOptions {
  /** The service's name: salt of its key derivation and name of its advisory lock. */
  readonly service: string;
  readonly db: Db;
  readonly table: SigningKeysTable;
  readonly masterKey: Buffer;
  readonly clock: Clock;
  readonly overlapMs: number;
  readonly maxAgeMs: number;
}

/** A service's key store with its key-encryption key derived from its master key. */
export function signingKeys(options: SigningKeysOptions): SigningKeyStore {
  return new SigningKeyStore({
    db: options.db,
    table: options.table,
    lockName: `tongban.${options.service}.signing-keys`,
    keyEncryptionKey: deriveKeyEncryptionKey(options.masterKey, options.service),
    clock: options.clock,
    overlapMs: options.overlapMs,
    maxAgeMs: options.maxAgeMs,
  });
}

export const ROTATION_CHECK_INTERVAL_MS = 3_600_000;

/**
 * Rotation by age as a background job: every replica checks hourly, and the advisory lock in
 * `ensureActiveKey` makes the replicas agree on one new key. The registry stops it on close.
 */
export function rotateKeysByAge(
  app: ServiceInstance,
  keys: SigningKeyStore,
  intervalMs = ROTATION_CHECK_INTERVAL_MS,
): void {
  app.jobs.register({
    name: 'signing-key-rotation',
    intervalMs,
    run: () => keys.ensureActiveKey(),
  });
}

/** The `tongban_signing_key_age_seconds` gauge: how old the key that signs now is. */
export function keyAgeGauge(keys: SigningKeyStore) {
  return {
    name: 'tongban_signing_key_age_seconds',
    help: 'Age of the key that signs now; rotation by age keeps it under the maximum age.',
    collect: () => keys.keyAgeSeconds(),
  };
}

/**
 * Everything a signing service does with its keys besides signing: the JWKS and admin routes,
 * rotation by age as a background job, and the key-age gauge in /metrics.
 */
export function serveSigningKeys(
  app: ServiceInstance,
  options: { readonly service: string; readonly keys: SigningKeyStore },
): void {
  keyRoutes(app, options);
  rotateKeysByAge(app, options.keys);
  app.prometheus.gauge(keyAgeGauge(options.keys));
}
