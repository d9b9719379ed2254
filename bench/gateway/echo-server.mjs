/**
 * The stdio upstream of the gateway benchmark: the echo server over stdio (SDK v2 `serveStdio`).
 *   node echo-server.mjs [--extra-tools N] [--work]   (--work: also list the `work` tool)
 */
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { argument, createEchoServer } from './echo-tools.mjs';

const extraTools = Number(argument('extra-tools', '0'));
const work = process.argv.includes('--work');
serveStdio(() => createEchoServer({ extraTools, work }), { legacy: 'serve' });
