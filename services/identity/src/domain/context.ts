import type { Db } from '@tongban/db';
import type { Clock, SigningKeyStore } from '@tongban/keys';
import type { IdentityConfig } from '../config.js';
import type { Secrets } from '../crypto/secrets.js';
import type { PresentationImageCache } from './presentations/presentation-qr.js';
import type { VerificationBatcher } from './presentations/verification-batcher.js';
import type { StatusListCache } from './status-lists/status-list-cache.js';

/** What every identity verb may use; built once in buildApp and passed down. */
export interface IdentityContext {
  readonly db: Db;
  readonly keys: SigningKeyStore;
  readonly secrets: Secrets;
  readonly clock: Clock;
  readonly verifications: VerificationBatcher;
  readonly statusLists: StatusListCache;
  readonly presentationImages: PresentationImageCache;
  readonly config: Pick<IdentityConfig, 'issuer' | 'audience' | 'publicUrls' | 'webauthn'>;
}

/** The caller, as the auth hook established it. */
export type { Actor } from '@tongban/auth';
