/**
 * The floor of any stdio gateway, as a reference contender of the gateway benchmark: a relay with
 * no MCP logic at all. It serves Streamable HTTP on 127.0.0.1 (a session id, each response as one
 * SSE event, like the SDK's server) and relays JSON-RPC lines to ONE shared stdio child, rewriting
 * request ids so concurrent sessions do not collide; it answers `initialize` after the first from
 * a cache. No validation, no schema, no notifications routing — not a usable gateway, only the
 * cost of the extra process hop and of HTTP ↔ stdio framing. Prints `LISTENING <port>`.
 *   node raw-relay.mjs -- COMMAND [ARGS...]
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

const separator = process.argv.indexOf('--');
const [command, ...args] = process.argv.slice(separator + 1);
const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });

/** @type {Map<number, { response: import('node:http').ServerResponse, id: unknown }>} */
const pending = new Map();
let nextId = 1;
let initializeResult;
let initialized = false;

function answer(response, message) {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  response.end(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
}

let buffer = '';
child.stdout.setEncoding('utf8');
child.stdout.on('data', (chunk) => {
  buffer += chunk;
  for (let newline = buffer.indexOf('\n'); newline !== -1; newline = buffer.indexOf('\n')) {
    const line = buffer.slice(0, newline);
    buffer = buffer.slice(newline + 1);
    if (line.trim() === '') continue;
    const message = JSON.parse(line);
    const waiting = message.id === undefined ? undefined : pending.get(message.id);
    if (!waiting) continue;
    pending.delete(message.id);
    if (waiting.initialize) initializeResult = message.result;
    answer(waiting.response, { ...message, id: waiting.id });
  }
});

const http = createServer((request, response) => {
  if (request.method === 'GET') return void response.writeHead(405).end();
  if (request.method === 'DELETE') return void response.writeHead(200).end();
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    const message = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (message.method === 'initialize') response.setHeader('mcp-session-id', randomUUID());
    if (message.id === undefined) {
      if (message.method !== 'notifications/initialized' || !initialized) {
        initialized = true;
        child.stdin.write(`${JSON.stringify(message)}\n`);
      }
      return void response.writeHead(202).end();
    }
    if (message.method === 'initialize' && initializeResult) {
      return void answer(response, { jsonrpc: '2.0', id: message.id, result: initializeResult });
    }
    const id = nextId++;
    pending.set(id, { response, id: message.id, initialize: message.method === 'initialize' });
    child.stdin.write(`${JSON.stringify({ ...message, id })}\n`);
  });
});
http.listen(0, '127.0.0.1', () => {
  process.stdout.write(`LISTENING ${http.address().port}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    child.kill();
    http.closeAllConnections();
    http.close(() => process.exit(0));
  });
}
