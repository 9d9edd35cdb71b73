export { type KeyHistoryEntry, signingKeyHistory } from './history.js';
export {
  type ActiveKey,
  type Clock,
  type KeyStoreOptions,
  type SignInput,
  SigningKeyStore,
} from './key-store.js';
export {
  type MasterKeyFromEnvOptions,
  masterKeyFromEnv,
  type ResolveMasterKeyOptions,
  resolveMasterKey,
  serviceMasterKey,
} from './master-key.js';
export { type KeyRoutesOptions, keyRoutes } from './routes.js';
export { deriveKey, deriveKeyEncryptionKey, MASTER_KEY_BYTES, open, seal } from './sealing.js';
export {
  keyAgeGauge,
  ROTATION_CHECK_INTERVAL_MS,
  rotateKeysByAge,
  type SigningKeysOptions,
  serveSigningKeys,
  signingKeys,
} from './signing-keys.js';
export { type SigningKeysTable, signingKeysTable } from './table.js';
