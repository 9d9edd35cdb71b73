import {
  accessTokenAuth,
  createJwksKeyResolver,
  httpJwksFetcher,
  identityKeyResolver,
  type KeyResolver,
} from '@tongban/auth';
import type { Database } from '@tongban/db';
import { requireResidentProof } from '@tongban/dpop';
import { deriveKey, type SigningKeyStore, serveSigningKeys, signingKeys } from '@tongban/keys';
import { createService, type ServiceInstance } from '@tongban/service-kit';
import {
  registerWebhooks,
  WEBHOOK_SEAL_PURPOSE,
  type WebhookWorkerSettings,
} from '@tongban/webhooks';
import type { RecordsConfig } from './config.js';
import {
  deliveries,
  idempotencyKeys,
  outbox,
  proofJtis,
  signingKeys as signingKeysTable,
  subscriptions,
} from './db/schema.js';
import { accessLogGauges } from './domain/access-log/metrics.js';
import { accessLogSequencerJob } from './domain/access-log/sequence.js';
import { caseGrantVerifier } from './domain/case-grants/verify-case-grant.js';
import { recordChange } from './domain/events/record-change.js';
import { recordEventAudience } from './domain/records/record-audience.js';
import { recordsErrors } from './errors.js';
import { accessLogRoutes } from './routes/access-log/index.js';
import { consentRoutes } from './routes/consents/index.js';
import { policyRoutes } from './routes/policies/index.js';
import { recordReadRoutes } from './routes/record-reads/index.js';
import { recordTypeRoutes } from './routes/record-types/index.js';
import { recordRoutes } from './routes/records/index.js';
import { KEY_OVERLAP_MS } from './signing.js';

export interface RecordsDeps {
  readonly config: RecordsConfig;
  readonly database: Database;
  /** Seals records' signing keys; server.ts resolves it (config or the demo key). */
  readonly masterKey: Buffer;
  readonly clock?: () => Date;
  /** Identity's keys; by default fetched from `config.identityUrl` and cached. */
  readonly keyResolver?: KeyResolver;
  /** Workflow's keys, for case grants; by default fetched from `config.caseGrants.jwksUrl`. */
  readonly caseGrantKeyResolver?: KeyResolver;
  /** Seals webhook secrets; by default derived from the master key. */
  readonly webhookSealKey?: Buffer;
  /** The webhook delivery passes; false when a test drives the steps itself. */
  readonly webhookWorker?: false | WebhookWorkerSettings;
  /**
   * Overrides the access-log sequencer's interval (config: 1 s); a test that runs the sequencer
   * with `app.jobs.runNow` sets it beyond the test's length.
   */
  readonly accessLogSequencer?: { readonly intervalMs: number };
}

export interface RecordsApp {
  readonly app: ServiceInstance;
  /** Records' own signing keys (certificates, access-log checkpoints). */
  readonly keys: SigningKeyStore;
}

/** Builds the records service; no listening, no environment: the caller decides both. */
export async function buildApp(deps: RecordsDeps): Promise<ServiceInstance> {
  return (await buildRecords(deps)).app;
}

/** As buildApp, also handing back the key store (tests, and later the record verbs' wiring). */
export async function buildRecords(deps: RecordsDeps): Promise<RecordsApp> {
  const { config, database } = deps;
  const clock = deps.clock ?? (() => new Date());
  const keys = signingKeys({
    service: 'records',
    db: database.db,
    table: signingKeysTable,
    masterKey: deps.masterKey,
    clock,
    overlapMs: KEY_OVERLAP_MS,
    maxAgeMs: config.signingKeyMaxAgeMs,
  });
  await keys.ensureActiveKey();
  const app = await createService({
    name: 'records',
    version: '1.0.0',
    description:
      'Record types, certified records, consent, access policy, the tamper-evident access log and subscriptions.',
    readiness: () => database.checkReady(),
    config,
    clock,
    database,
    idempotencyTable: idempotencyKeys,
    errors: recordsErrors,
  });
  await app.register(accessTokenAuth, {
    resolver: deps.keyResolver ?? identityKeyResolver(config.identityUrl),
    issuer: config.issuer,
    audience: config.audience,
    now: clock,
  });
  // Every route a resident token reaches checks its DPoP proof. No device check: records cannot
  // see a device's revocation at identity, so a revoked device's token is refused here only
  // when it expires (15 minutes at most); identity refuses it at once.
  requireResidentProof(app, {
    db: database.db,
    table: proofJtis,
    publicUrls: config.publicUrls,
    clock,
  });
  recordTypeRoutes(app, { db: database.db, clock });
  recordRoutes(app, { db: database.db, clock });
  policyRoutes(app, { db: database.db, clock });
  const caseGrants = caseGrantVerifier({
    resolver:
      deps.caseGrantKeyResolver ??
      createJwksKeyResolver({
        fetchJwks: httpJwksFetcher(config.caseGrants.jwksUrl),
        now: Date.now,
      }),
    issuer: config.caseGrants.issuer,
  });
  recordReadRoutes(app, { db: database.db, clock, caseGrants, keys });
  consentRoutes(app, { db: database.db, clock });
  accessLogRoutes(app, { db: database.db, clock, keys });
  app.jobs.register(
    accessLogSequencerJob(
      {
        db: database.db,
        keys,
        clock,
        issuer: config.accessLog.issuer,
        batchSize: config.accessLog.batchSize,
      },
      deps.accessLogSequencer?.intervalMs ?? config.accessLog.sequenceIntervalMs,
    ),
  );
  for (const gauge of accessLogGauges(database.db, clock)) app.prometheus.gauge(gauge);
  serveSigningKeys(app, { service: 'records', keys });
  registerWebhooks(app, {
    db: database.db,
    clock,
    tables: { outbox, subscriptions, deliveries },
    idempotencyKeys,
    recordChange,
    sealKey: deps.webhookSealKey ?? deriveKey(deps.masterKey, 'records', WEBHOOK_SEAL_PURPOSE),
    urlPolicy: config.webhooks,
    // Record events reach only departments the type's owner lets read it (decided at dispatch).
    mayReceive: recordEventAudience,
    ...(deps.webhookWorker === undefined ? {} : { worker: deps.webhookWorker }),
  });
  return { app, keys };
}
