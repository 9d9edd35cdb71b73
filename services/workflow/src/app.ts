import { accessTokenAuth, identityKeyResolver, type KeyResolver } from '@tongban/auth';
import type { Database } from '@tongban/db';
import { proofHeaderDocs, requireResidentProof } from '@tongban/dpop';
import { deriveKey, type SigningKeyStore, serveSigningKeys, signingKeys } from '@tongban/keys';
import { createService, type ServiceInstance } from '@tongban/service-kit';
import { CASE_GRANT_CLOCK_TOLERANCE_SECONDS } from '@tongban/tokens';
import {
  registerWebhooks,
  WEBHOOK_SEAL_PURPOSE,
  type WebhookWorkerSettings,
} from '@tongban/webhooks';
import { createCalendar, loadCalendarDirectory } from '@tongban/working-days';
import type { WorkflowConfig } from './config.js';
import {
  deliveries,
  idempotencyKeys,
  outbox,
  proofJtis,
  signingKeys as signingKeysTable,
  subscriptions,
} from './db/schema.js';
import { caseEventAudience } from './domain/cases/case-audience.js';
import { caseRecordsJob } from './domain/cases/case-records-job.js';
import { clientCredentialsToken } from './domain/cases/client-credentials.js';
import type { CheckVerification, PullRecords } from './domain/cases/context.js';
import { definitionCache } from './domain/cases/definitions.js';
import { formValidators } from './domain/cases/form.js';
import { recordPuller } from './domain/cases/pull-case-records.js';
import { recordChange } from './domain/events/record-change.js';
import { publishCatalogue } from './domain/services/load-catalogue.js';
import { slaOverdueJob } from './domain/sla/overdue-sweep.js';
import { verificationChecker } from './domain/verifications/check-verification.js';
import { workflowErrors } from './errors.js';
import { caseRoutes } from './routes/cases/index.js';
import { serviceRoutes } from './routes/services/index.js';
import { statsRoutes } from './routes/stats/index.js';

export interface WorkflowDeps {
  readonly config: WorkflowConfig;
  readonly database: Database;
  /** Seals workflow's signing keys; server.ts resolves it (config or the demo key). */
  readonly masterKey: Buffer;
  readonly clock?: () => Date;
  /** Identity's keys; by default fetched from `config.identityUrl` and cached. */
  readonly keyResolver?: KeyResolver;
  /** Seals webhook secrets; by default derived from the master key. */
  readonly webhookSealKey?: Buffer;
  /** The webhook delivery passes; false when a test drives the steps itself. */
  readonly webhookWorker?: false | WebhookWorkerSettings;
  /**
   * A directory of service definitions (`<code>.json`) published before the service listens;
   * server.ts passes `config.catalogueDir`. An invalid file stops the start.
   */
  readonly catalogueDir?: string;
  /**
   * Pulls a case's records from the record API (server.ts: records' typed client, a client
   * credentials token, a case grant). Absent: cases wait with `records.pulled: false`.
   */
  readonly pullRecords?: PullRecords;
  /** Asks identity about a clerk's verification of a resident; absent: staff get 403. */
  readonly checkVerification?: CheckVerification;
  /** Overrides the records-pull retry job's interval (config: 30 s); tests drive it by hand. */
  readonly caseRecordsJob?: { readonly intervalMs: number };
  /** Overrides the overdue sweep's interval (config: 60 s); tests drive it by hand. */
  readonly slaOverdueJob?: { readonly intervalMs: number };
}

export interface WorkflowApp {
  readonly app: ServiceInstance;
  /** Workflow's own signing keys (case grants). */
  readonly keys: SigningKeyStore;
}

/** The department workflow's own client belongs to at identity: the one-stop service centre. */
export const WORKFLOW_DEPARTMENT = 'service_centre';

// A retired key stays in the JWKS until everything it signed has expired. A case grant lives at
// most MAX_CASE_GRANT_LIFETIME_SECONDS (15 min) plus the 30 s skew records allows; the overlap is
// a day, like records', which covers that and leaves room for longer-lived documents. The key
// store refuses to sign anything that would outlive the overlap.
const KEY_OVERLAP_MS = (24 * 3600 + CASE_GRANT_CLOCK_TOLERANCE_SECONDS) * 1000;

/** Builds the workflow service; no listening, no environment: the caller decides both. */
export async function buildApp(deps: WorkflowDeps): Promise<ServiceInstance> {
  return (await buildWorkflow(deps)).app;
}

/** As buildApp, also handing back the key store (tests, and later the case verbs' wiring). */
export async function buildWorkflow(deps: WorkflowDeps): Promise<WorkflowApp> {
  const { config, database } = deps;
  const clock = deps.clock ?? (() => new Date());
  const keys = signingKeys({
    service: 'workflow',
    db: database.db,
    table: signingKeysTable,
    masterKey: deps.masterKey,
    clock,
    overlapMs: KEY_OVERLAP_MS,
    maxAgeMs: config.signingKeyMaxAgeMs,
  });
  await keys.ensureActiveKey();
  if (deps.catalogueDir !== undefined) {
    await publishCatalogue({
      ctx: { db: database.db, actor: undefined, requestId: 'start', clock },
      dir: deps.catalogueDir,
    });
  }
  const app = await createService({
    name: 'workflow',
    version: '1.0.0',
    description:
      'Service catalogue (versioned definitions), cases, department tasks, SLA clock and case receipts.',
    readiness: () => database.checkReady(),
    config,
    clock,
    database,
    idempotencyTable: idempotencyKeys,
    errors: workflowErrors,
  });
  await app.register(accessTokenAuth, {
    resolver: deps.keyResolver ?? identityKeyResolver(config.identityUrl),
    issuer: config.issuer,
    audience: config.audience,
    now: clock,
  });
  // Every route a resident token reaches checks its DPoP proof (RFC 9449).
  requireResidentProof(app, {
    db: database.db,
    table: proofJtis,
    publicUrls: config.publicUrls,
    clock,
  });
  serviceRoutes(app, { db: database.db, clock });
  const calendar = createCalendar({
    timeZone: config.cases.timeZone,
    years: loadCalendarDirectory(config.cases.calendarDir),
    // A year without a published calendar is judged by weekday alone, and said so in the log
    // once per year, so operators know to add the State Council's notice.
    weekendsOnlyFallback: { onFallback: fallbackWarning(app) },
  });
  const definitions = definitionCache();
  const pullRecords = deps.pullRecords ?? configuredPuller(config, keys, clock);
  const caseSettings = {
    numberPrefix: config.cases.numberPrefix,
    trackingBaseUrl: config.cases.trackingBaseUrl,
  };
  caseRoutes(app, {
    db: database.db,
    clock,
    calendar,
    settings: caseSettings,
    keys,
    definitions,
    forms: formValidators(),
    pullRecords,
    checkVerification:
      deps.checkVerification ?? verificationChecker({ identityUrl: config.identityUrl }),
    proofHeaders: proofHeaderDocs({
      service: 'workflow',
      publicUrlsVariable: 'WORKFLOW_PUBLIC_URLS',
      exampleOrigin: 'https://workflow.example.cn',
      checksDevice: false,
    }).bound,
  });
  statsRoutes(app, { db: database.db, clock, calendar });
  if (pullRecords !== undefined) {
    app.jobs.register(
      caseRecordsJob(
        {
          db: database.db,
          clock,
          calendar,
          settings: caseSettings,
          definitions,
          pull: pullRecords,
          log: app.log,
        },
        deps.caseRecordsJob?.intervalMs ?? 30_000,
      ),
    );
  }
  app.jobs.register(
    slaOverdueJob(
      { db: database.db, clock },
      deps.slaOverdueJob?.intervalMs ?? config.sla.sweepIntervalMs,
    ),
  );
  serveSigningKeys(app, { service: 'workflow', keys });
  registerWebhooks(app, {
    db: database.db,
    clock,
    tables: { outbox, subscriptions, deliveries },
    idempotencyKeys,
    recordChange,
    sealKey: deps.webhookSealKey ?? deriveKey(deps.masterKey, 'workflow', WEBHOOK_SEAL_PURPOSE),
    urlPolicy: config.webhooks,
    // Case events reach only departments whose task on the case was reached (decided at dispatch).
    mayReceive: caseEventAudience,
    ...(deps.webhookWorker === undefined ? {} : { worker: deps.webhookWorker }),
  });
  return { app, keys };
}

/** The record pull from configuration: workflow's client at identity, records' URL, its keys. */
function configuredPuller(
  config: WorkflowConfig,
  keys: SigningKeyStore,
  clock: () => Date,
): PullRecords | undefined {
  const { records } = config;
  if (records.clientSecret === undefined) return undefined;
  return recordPuller({
    recordsUrl: records.url,
    token: clientCredentialsToken({
      identityUrl: config.identityUrl,
      clientId: records.clientId,
      clientSecret: records.clientSecret,
      clock,
    }),
    keys,
    clock,
    department: WORKFLOW_DEPARTMENT,
  });
}

function fallbackWarning(app: ServiceInstance) {
  const warned = new Set<number>();
  return ({ year }: { year: number }) => {
    if (warned.has(year)) return;
    warned.add(year);
    app.log.warn(
      { year },
      `no holiday calendar for ${year}: its days are judged by weekday alone; add cn-${year}.json to WORKFLOW_CALENDAR_DIR`,
    );
  };
}
