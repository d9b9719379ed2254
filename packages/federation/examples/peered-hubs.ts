import { createHubServer } from '@fedmcp/federation/node';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

const server = 'node_modules/@modelcontextprotocol/server-everything/dist/index.js';
const everything = { command: 'node', args: [server, 'stdio'] };
await using b = await createHubServer({ hubId: 'b', upstreams: { everything } });
await using a = await createHubServer({ hubId: 'a' }); // keys in memory; or openHubIdentityFile
const [urlA, urlB] = [(await a.listen()).url, (await b.listen()).url];
await b.setPeers({ a: { url: urlA, import: false } }); // B verifies A's tokens with A's JWKS
await a.setPeers({ b: { url: urlB } }); // A imports B's tools as b__…
const client = new Client({ name: 'demo', version: '1.0.0' });
await client.connect(new StreamableHTTPClientTransport(new URL(`${urlA}/mcp`)));
const result = await client.callTool({ name: 'b__everything__echo', arguments: { message: 'hi' } });
process.stdout.write(`${JSON.stringify(result.content)}\n`);
await client.close();
