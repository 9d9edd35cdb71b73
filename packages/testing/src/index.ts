export {
  createTestDatabase,
  prepareEmbeddedDataDir,
  type TestDatabase,
} from '@tongban/test-database';
export { type MetricFamily, parsePrometheus, type Sample } from './prometheus.js';
export { startTestService, type TestService } from './start-test-service.js';
export { eventually, type Received, startSubscriber } from './webhook-subscriber.js';
