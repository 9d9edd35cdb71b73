export {
  createTestDatabase,
  prepareEmbeddedDataDir,
  type TestDatabase,
} from '@tongban/test-database';
export { startTestService, type TestService } from './start-test-service.js';
