/**
 * A stdio MCP server for the durable-task test of `fedmcp serve`: one slow tool, `charge`, that is
 * NOT idempotent (`idempotentHint: false`: running it twice would charge twice), written as plain
 * newline-delimited JSON-RPC so it needs nothing installed. Run with `node --import tsx`.
 */
import { createInterface } from 'node:readline';

const tool = {
  name: 'charge',
  description: 'Charges a card; takes `ms` milliseconds. Not idempotent.',
  inputSchema: { type: 'object', properties: { ms: { type: 'number' } } },
  annotations: { idempotentHint: false, destructiveHint: true },
};

function send(message: unknown): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

function answer(id: unknown, method: string, params: Record<string, unknown>): void {
  switch (method) {
    case 'initialize':
      send({
        jsonrpc: '2.0',
        id,
        result: {
          protocolVersion: String(params.protocolVersion ?? '2025-11-25'),
          capabilities: { tools: {} },
          serverInfo: { name: 'ledger', version: '1.0.0' },
        },
      });
      return;
    case 'tools/list':
      send({ jsonrpc: '2.0', id, result: { tools: [tool] } });
      return;
    case 'tools/call': {
      const ms = Number((params.arguments as { ms?: number } | undefined)?.ms ?? 1000);
      setTimeout(
        () =>
          send({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: 'charged' }] } }),
        ms,
      );
      return;
    }
    case 'ping':
      send({ jsonrpc: '2.0', id, result: {} });
      return;
    default:
      send({ jsonrpc: '2.0', id, error: { code: -32601, message: `Method not found: ${method}` } });
  }
}

// The hub is gone (stdin closed, e.g. after its kill -9): so is this server, calls in flight too.
process.stdin.once('close', () => process.exit(0));
createInterface({ input: process.stdin }).on('line', (line) => {
  const message = JSON.parse(line) as {
    id?: unknown;
    method?: string;
    params?: Record<string, unknown>;
  };
  if (message.method && message.id !== undefined)
    answer(message.id, message.method, message.params ?? {});
});
