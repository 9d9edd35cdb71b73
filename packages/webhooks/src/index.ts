export { isInternalAddress, publicOnlyLookup, RefusedAddressError } from './address-policy.js';
export {
  WEBHOOK_SEAL_PURPOSE,
  type WebhookConfig,
  webhookConfig,
  webhookEnv,
} from './config.js';
export {
  DEFAULT_RETRY,
  type DeliverOptions,
  type DeliveryOutcome,
  deliverDue,
  type RetryPolicy,
} from './deliver.js';
export {
  dispatchOutbox,
  type MayReceive,
  type OutboxEvent,
  type SubscriptionAudience,
  type WebhookTables,
} from './dispatch.js';
export {
  registerWebhooks,
  type WebhookSettings,
  type WebhookWorkerSettings,
} from './register.js';
export { DEFAULT_RETENTION, type RetentionPolicy, sweepDelivered } from './retention.js';
export { type SubscriptionRouteDeps, subscriptionRoutes } from './routes.js';
export { newWebhookSecret, openSecret, sealSecret } from './seal.js';
export { httpSender, type OutgoingWebhook, type SendResult, type SendWebhook } from './send.js';
export {
  createSubscription,
  deleteSubscription,
  listSubscriptions,
  type SubscriptionContext,
  type SubscriptionServices,
  toSubscription,
  type UrlPolicy,
} from './subscriptions.js';
export {
  type DeliveriesTable,
  deliveriesTable,
  type SubscriptionsTable,
  subscriptionsTable,
} from './tables.js';
export { createWebhookWorker, type WebhookWorker, type WebhookWorkerOptions } from './worker.js';
