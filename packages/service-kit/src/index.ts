export { type BaseConfig, baseConfig, ConfigError, parseEnv, serviceEnv } from './config.js';
export {
  createService,
  IDEMPOTENCY_SWEEP_INTERVAL_MS,
  isKitRoute,
  publicScope,
  type ServiceInstance,
  type ServiceOptions,
} from './create-service.js';
export {
  ApiError,
  type ApiErrorInit,
  defineErrors,
  type ErrorCatalogue,
  type ErrorDefinition,
  errors,
  isApiError,
  type ProblemOptions,
  problem,
  type SharedErrorCode,
  sharedErrors,
} from './errors.js';
export {
  type DbTransaction,
  deleteExpiredIdempotencyKeys,
  hashRequest,
  IDEMPOTENCY_KEY_HEADER,
  IDEMPOTENCY_KEY_TTL_MS,
  IDEMPOTENCY_LOCK_TIMEOUT_MS,
  IDEMPOTENT_REPLAYED_HEADER,
  IdempotencyKeyHeaders,
  type IdempotencyKeysTable,
  type IdempotentHeaders,
  type IdempotentResponse,
  type IdempotentResult,
  idempotencyKeyFrom,
  idempotencyKeysTable,
  parseIdempotencyKey,
  type RunIdempotentOptions,
  replyIdempotent,
  respondIdempotently,
  runIdempotent,
} from './idempotency.js';
export {
  type JobContext,
  type JobDefinition,
  type JobObserver,
  type JobOutcome,
  JobRegistry,
  type JobRun,
} from './jobs.js';
export { loggerOptions, REDACTED_PATHS } from './logger.js';
export { decodeCursor, encodeCursor, ListQuery, listOf, page } from './pagination.js';
export {
  type GaugeDefinition,
  type GaugeSample,
  ServiceMetrics,
  type ServiceMetricsOptions,
} from './plugins/metrics.js';
export {
  errorResponses,
  missingErrorResponses,
  ProblemSchema,
  routeErrorCodes,
} from './plugins/openapi.js';
export {
  PROBLEM_CONTENT_TYPE,
  PROBLEM_MEDIA_TYPE,
  sendProblem,
  toApiError,
} from './plugins/problem-json.js';
export { REQUEST_ID_HEADER } from './request-id.js';
export { type RunServiceOptions, runService, type ServiceDeps } from './run-service.js';
export {
  isSafeText,
  SAFE_MULTILINE_TEXT_PATTERN,
  SAFE_TEXT_PATTERN,
  SafeText,
  type SafeTextOptions,
} from './safe-text.js';
export * from './state/index.js';
