/** shipshape's own integration tests use the harness users get as `shipshape/testing`: one harness, not two. */
export { startTestHosts, testKeyPath, TEST_LABEL, type ShellResult, type TestHost, type TestHosts } from '../../../src/testing/hosts.ts';
