/** Fixtures shared by the tests of several fedmcp packages. */

export {
  CHROMIUM_PATH,
  chromiumAvailable,
  headlessChromiumLaunchOptions,
} from './headless-chromium.js';
export {
  freePort,
  redisServerAvailable,
  startTestRedisServer,
  type TestRedisServer,
} from './redis-server.js';
export { type RedisTestBed, redisServerRequired, startRedisTestBed } from './redis-test-bed.js';
export { type Everything, elicitedContent, startEverything } from './server-everything.js';
export { createTestCertificates, type TestCertificates } from './test-certificates.js';
