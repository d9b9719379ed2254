/** Fixtures shared by the tests of several fedmcp packages. */
export { createTestCertificates, type TestCertificates } from './test-certificates.js';
