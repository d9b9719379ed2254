/**
 * The `fedmcp` command line: thin commands over `@fedmcp/server` and the libraries.
 */
export type { CliIo } from './cli-io.js';
export { runCli } from './run-cli.js';
