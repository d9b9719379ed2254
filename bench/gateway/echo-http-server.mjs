/**
 * The baseline of the gateway benchmark: the same echo server served directly by the SDK's own
 * sessionful Streamable HTTP server (`NodeStreamableHTTPServerTransport` on `node:http`), in its own
 * process like every other contender. Prints `LISTENING <port>` once it serves /mcp on 127.0.0.1.
 *   node echo-http-server.mjs [--extra-tools N] [--tool-name-prefix P] [--prefixes K] [--work]
 * `--prefixes K` lists echo and the filler tools K times, as `u<k>__echo`, `u<k>__tool_<i>` (the payload a hub with K
 * upstreams of `--extra-tools` tools each returns).
 */
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import { argument, createEchoServer, echoTool, fillerTools } from './echo-tools.mjs';
import { serveSessionful } from './sessionful-http.mjs';

const extraTools = Number(argument('extra-tools', '0'));
const prefixes = Number(argument('prefixes', '0'));
const work = process.argv.includes('--work'); // also list the `work` tool
const tools =
  prefixes > 0
    ? Array.from({ length: prefixes }, (_, index) => [
        { ...echoTool, name: `u${index}__echo` },
        ...fillerTools(extraTools, `u${index}__`),
      ]).flat()
    : undefined;

serveSessionful(
  (options) => new NodeStreamableHTTPServerTransport(options),
  (transport) => createEchoServer(tools ? { tools } : { extraTools, work }).connect(transport),
);
