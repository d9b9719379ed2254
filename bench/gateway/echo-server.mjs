/**
 * The stdio upstream of the gateway benchmark: the echo server over stdio (SDK v2 `serveStdio`).
 *   node echo-server.mjs [--extra-tools N]
 */
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { argument, createEchoServer } from './echo-tools.mjs';

const extraTools = Number(argument('extra-tools', '0'));
serveStdio(() => createEchoServer({ extraTools }), { legacy: 'serve' });
