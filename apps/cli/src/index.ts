/**
 * The `fedmcp` command line: thin commands over `@fedmcp/server` and the libraries.
 */
export { runCli } from './run-cli.js';
