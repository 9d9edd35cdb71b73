export { type MetricFamily, parsePrometheus, type Sample } from './prometheus.js';
export { createTestDatabase, type TestDatabase } from './test-database.js';
