import { createHub } from '@fedmcp/federation/node';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport } from '@modelcontextprotocol/server';

const server = 'node_modules/@modelcontextprotocol/server-everything/dist/index.js';
const hub = createHub({ upstreams: { everything: { command: 'node', args: [server, 'stdio'] } } });
await hub.start();
const [clientSide, hubSide] = InMemoryTransport.createLinkedPair();
await hub.createServer().connect(hubSide); // or createMcpHttpHost({ createServer: hub.createServer })
const client = new Client({ name: 'demo', version: '1.0.0' });
await client.connect(clientSide);
const { tools } = await client.listTools(); // everything__echo, everything__get-sum, …
const result = await client.callTool({ name: 'everything__echo', arguments: { message: 'hi' } });
process.stdout.write(`${tools.length} tools; ${JSON.stringify(result.content)}\n`);
await hub.close();
