/**
 * The client under test for the official client suite: the conformance runner starts it once per
 * scenario as `<command> <server url>` with `MCP_CONFORMANCE_SCENARIO` set, and judges what it
 * does on the wire. Handlers are keyed by the exact names of `conformance list --client` (0.1.16).
 *
 * The connection goes through one seam, {@link connectClientUnderTest}: today a plain SDK v2
 * `Client`; swapping in the hub's upstream connector is a change to that function alone.
 *
 * CLI: `MCP_CONFORMANCE_SCENARIO=initialize node --import tsx src/client-under-test.ts <url>`.
 */

import { pathToFileURL } from 'node:url';
import type { ElicitRequestFormParams } from '@modelcontextprotocol/client';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { applyElicitationDefaults } from './apply-elicitation-defaults.js';

/** The identity the client under test reports in `initialize`. */
export const CLIENT_UNDER_TEST_INFO = { name: 'fedmcp-conformance-client', version: '1.0.0' };

/**
 * Connects a client to `url`, letting `configure` register request handlers first (they decide
 * the declared capabilities). The single swap point for the hub's upstream connector.
 */
export type ConnectClientUnderTest = (
  url: string,
  configure: (client: Client) => void,
) => Promise<Client>;

/** The SDK v2 `Client` over Streamable HTTP, declaring form elicitation. */
export const connectClientUnderTest: ConnectClientUnderTest = async (url, configure) => {
  const client = new Client(CLIENT_UNDER_TEST_INFO, {
    capabilities: { elicitation: { form: {} } },
  });
  configure(client);
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
};

/** Answers every form elicitation by accepting, with omitted fields filled from schema defaults. */
function acceptWithDefaults(client: Client) {
  client.setRequestHandler('elicitation/create', (request) => {
    const params = request.params as ElicitRequestFormParams;
    // A real user would edit the form here; the suite checks that untouched fields get defaults.
    return { action: 'accept', content: applyElicitationDefaults(params.requestedSchema, {}) };
  });
}

type Scenario = (client: Client) => Promise<void>;

function expectTool(tools: { name: string }[], name: string) {
  if (!tools.some((tool) => tool.name === name)) {
    throw new Error(`The server does not list the tool "${name}"`);
  }
}

/** The scenario handlers, by exact scenario name. */
export const CLIENT_SCENARIOS: Record<string, Scenario> = {
  initialize: async (client) => {
    await client.listTools();
  },
  tools_call: async (client) => {
    const { tools } = await client.listTools();
    expectTool(tools, 'add_numbers');
    const result = await client.callTool({ name: 'add_numbers', arguments: { a: 5, b: 3 } });
    if (result.isError) throw new Error(`add_numbers failed: ${JSON.stringify(result.content)}`);
  },
  'elicitation-sep1034-client-defaults': async (client) => {
    const { tools } = await client.listTools();
    expectTool(tools, 'test_client_elicitation_defaults');
    await client.callTool({ name: 'test_client_elicitation_defaults', arguments: {} });
  },
  'sse-retry': async (client) => {
    // The server closes the call's SSE stream after a priming event with `retry: 500`; the
    // transport must reconnect with GET + Last-Event-ID after that delay and get the result.
    await client.listTools();
    await client.callTool({ name: 'test_reconnection', arguments: {} });
  },
};

/**
 * Runs one scenario against the test server at `url`.
 *
 * @throws when the scenario is unknown or a step fails.
 */
export async function runClientScenario(
  scenario: string,
  url: string,
  connect: ConnectClientUnderTest = connectClientUnderTest,
): Promise<void> {
  const run = CLIENT_SCENARIOS[scenario];
  if (!run) {
    throw new Error(
      `Unknown scenario "${scenario}"; known: ${Object.keys(CLIENT_SCENARIOS).join(', ')}`,
    );
  }
  const client = await connect(url, acceptWithDefaults);
  try {
    await run(client);
  } finally {
    await client.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const url = process.argv.at(-1);
  const scenario = process.env.MCP_CONFORMANCE_SCENARIO;
  if (!url || !scenario || url === process.argv[1]) {
    process.stderr.write('usage: MCP_CONFORMANCE_SCENARIO=<name> client-under-test.ts <url>\n');
    process.exit(2);
  }
  runClientScenario(scenario, url).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}
