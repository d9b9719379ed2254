/**
 * The echo MCP server every contender of the gateway benchmark serves: a low-level SDK v2 `Server`
 * with an `echo` tool, plus `extraTools` filler tools (realistic names, descriptions and schemas)
 * for the `tools/list` figure. Plain JavaScript, so every process that runs it starts the same way
 * (no TypeScript loader in any contender's process tree).
 */
import { Server } from '@modelcontextprotocol/server';

/** The `echo` tool. */
export const echoTool = {
  name: 'echo',
  description: 'Returns its text argument unchanged.',
  inputSchema: {
    type: 'object',
    properties: { text: { type: 'string', description: 'The text to echo back.' } },
    required: ['text'],
  },
};

/** The `work` tool: answers after `ms` milliseconds (default 20) of waiting, as a tool that does I/O. */
export const workTool = {
  name: 'work',
  description: 'Waits ms milliseconds (an I/O-bound tool), then answers.',
  inputSchema: {
    type: 'object',
    properties: { ms: { type: 'number', description: 'How long to wait.' } },
  },
};

/**
 * `count` filler tools named `<namePrefix>tool_<index>`.
 * @param {number} count
 * @param {string} [namePrefix]
 */
export function fillerTools(count, namePrefix = '') {
  return Array.from({ length: count }, (_, index) => ({
    name: `${namePrefix}tool_${index}`,
    title: `Tool ${index}`,
    description: `Filler tool number ${index}: looks up a record by id and returns its fields, optionally filtered.`,
    inputSchema: {
      type: 'object',
      properties: {
        id: { type: 'string', description: 'The record id.' },
        fields: { type: 'array', items: { type: 'string' }, description: 'Fields to return.' },
        limit: { type: 'integer', minimum: 1, maximum: 100, default: 10 },
      },
      required: ['id'],
    },
    annotations: { readOnlyHint: true },
  }));
}

/**
 * A fresh echo server instance.
 * @param {{ extraTools?: number, toolNamePrefix?: string, tools?: object[], work?: boolean }} [options]
 */
export function createEchoServer(options = {}) {
  const tools = options.tools ?? [
    echoTool,
    ...(options.work ? [workTool] : []),
    ...fillerTools(options.extraTools ?? 0, options.toolNamePrefix),
  ];
  const server = new Server(
    { name: 'bench-echo', version: '1.0.0' },
    { capabilities: { tools: {} } },
  );
  server.setRequestHandler('tools/list', () => ({ tools }));
  server.setRequestHandler('tools/call', async (request) => {
    if (request.params.name === 'work') {
      const ms = Number(request.params.arguments?.ms ?? 20);
      await new Promise((resolve) => setTimeout(resolve, ms));
      return { content: [{ type: 'text', text: 'worked' }] };
    }
    return { content: [{ type: 'text', text: String(request.params.arguments?.text ?? '') }] };
  });
  return server;
}

/** Reads `--name value` from argv. */
export function argument(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : process.argv[index + 1];
}
