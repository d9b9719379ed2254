/**
 * The client under test for the official client suite: the conformance runner starts it once per
 * scenario as `<command> <server url>` with `MCP_CONFORMANCE_SCENARIO` set, and judges what it
 * does on the wire. Handlers are keyed by the exact names of `conformance list --client` (0.1.16).
 *
 * The connection goes through one seam, {@link ConnectClientUnderTest}, with three connectors:
 * `federation` — the connector `createHub` uses today (`connectNodeUpstream` from
 * `@fedmcp/federation/node`, declaring the hub's `UPSTREAM_CLIENT_CAPABILITIES`), the default;
 * `transports` — `connectUpstream` from `@fedmcp/transports`; `sdk` — a plain SDK v2 `Client`,
 * the control (a scenario failing on a hub connector only is a hub bug).
 *
 * CLI: `MCP_CONFORMANCE_SCENARIO=initialize node --conditions=@fedmcp/source --import tsx
 * src/client-under-test.ts [--connector federation|transports|sdk] <url>`.
 */
import { pathToFileURL } from 'node:url';
import {
  createOAuthUpstreamConnector,
  UPSTREAM_CLIENT_CAPABILITIES,
  type UpstreamOAuthBinding,
} from '@fedmcp/federation';
import { connectNodeUpstream } from '@fedmcp/federation/node';
import { withUpstreamOAuth } from '@fedmcp/proxy-auth';
import { connectUpstream } from '@fedmcp/transports';
import type { ElicitRequestFormParams } from '@modelcontextprotocol/client';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { applyElicitationDefaults } from './apply-elicitation-defaults.js';
import { AUTH_CLIENT_SCENARIOS, oauthBindingFor } from './oauth-client-under-test.js';

/** The identity the client under test reports in `initialize`. */
export const CLIENT_UNDER_TEST_INFO = { name: 'fedmcp-conformance-client', version: '1.0.0' };

/**
 * Connects a client to `url`, letting `configure` register request handlers before the
 * handshake, as an OAuth client with `oauth` when given. Everything the suite judges about
 * connecting goes through this one function.
 */
export type ConnectClientUnderTest = (
  url: string,
  configure: (client: Client) => void,
  oauth?: UpstreamOAuthBinding,
) => Promise<Client>;

/** The OAuth fetch of the plain connectors (the federation one wraps its connector instead). */
const oauthFetch = (url: string, oauth: UpstreamOAuthBinding | undefined) =>
  oauth && withUpstreamOAuth(undefined, { ...oauth, serverUrl: url });

/** What the plain connectors declare: form elicitation (answered by `configure`). */
const CAPABILITIES = { elicitation: { form: {} } };

const noop = () => {};
const silentLogger = { debug: noop, info: noop, warn: noop, error: noop };

/** The connectors, by CLI name. */
export const CONNECTORS = {
  /** What `createHub` connects upstreams with, declaring what the hub declares upstream. */
  federation: (url, configure, oauth) => {
    // Built apart from the call so the options fit the connector's signature before and after
    // it gained `verdictCache` (an extra property is fine on a variable, not on a literal).
    const options = {
      clientInfo: CLIENT_UNDER_TEST_INFO,
      capabilities: UPSTREAM_CLIENT_CAPABILITIES,
      configure,
      timeoutMs: 30_000,
      logger: silentLogger,
      verdictCache: new Map<string, unknown>(),
    };
    const connect = createOAuthUpstreamConnector({
      base: connectNodeUpstream,
      oauthFor: () => oauth,
    });
    return connect({ url }, options);
  },
  /** The shared upstream connector: Streamable HTTP (SSE fallback), era probe, request defaults. */
  transports: (url, configure, oauth) => {
    const fetch = oauthFetch(url, oauth);
    return connectUpstream(
      { url },
      {
        clientInfo: CLIENT_UNDER_TEST_INFO,
        capabilities: CAPABILITIES,
        onClientCreated: configure,
        ...(fetch && { fetch }),
      },
    );
  },
  /** A plain SDK v2 `Client` over Streamable HTTP. */
  sdk: async (url, configure, oauth) => {
    const client = new Client(CLIENT_UNDER_TEST_INFO, { capabilities: CAPABILITIES });
    configure(client);
    const fetch = oauthFetch(url, oauth);
    await client.connect(new StreamableHTTPClientTransport(new URL(url), fetch && { fetch }));
    return client;
  },
} satisfies Record<string, ConnectClientUnderTest>;

/** A connector name. */
export type ClientConnectorName = keyof typeof CONNECTORS;

/** The connector the suite judges unless told otherwise. */
export const DEFAULT_CONNECTOR: ClientConnectorName = 'federation';

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
  // The suite's protected server lists `test-tool`; the checks are on the OAuth traffic.
  ...Object.fromEntries(
    AUTH_CLIENT_SCENARIOS.map((name) => [
      name,
      async (client: Client) => {
        const { tools } = await client.listTools();
        if (tools.some((tool) => tool.name === 'test-tool')) {
          await client.callTool({ name: 'test-tool', arguments: {} });
        }
      },
    ]),
  ),
};

/** The scenario's context from the runner (`MCP_CONFORMANCE_CONTEXT`), or `{}`. */
function scenarioContext(): Record<string, unknown> {
  const raw = process.env.MCP_CONFORMANCE_CONTEXT;
  return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
}

/**
 * Runs one scenario against the test server at `url`.
 *
 * @throws when the scenario is unknown or a step fails.
 */
export async function runClientScenario(
  scenario: string,
  url: string,
  connect: ConnectClientUnderTest = CONNECTORS[DEFAULT_CONNECTOR],
): Promise<void> {
  const run = CLIENT_SCENARIOS[scenario];
  if (!run) {
    throw new Error(
      `Unknown scenario "${scenario}"; known: ${Object.keys(CLIENT_SCENARIOS).join(', ')}`,
    );
  }
  const oauth = scenario.startsWith('auth/')
    ? oauthBindingFor(scenario, scenarioContext())
    : undefined;
  const client = await connect(url, acceptWithDefaults, oauth);
  try {
    await run(client);
  } finally {
    await client.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv.slice(2);
  const url = argv.at(-1);
  const scenario = process.env.MCP_CONFORMANCE_SCENARIO;
  const connectorIndex = argv.indexOf('--connector');
  const connector = connectorIndex >= 0 ? argv[connectorIndex + 1] : DEFAULT_CONNECTOR;
  if (!url?.startsWith('http') || !scenario || !connector || !(connector in CONNECTORS)) {
    process.stderr.write(
      'usage: MCP_CONFORMANCE_SCENARIO=<name> client-under-test.ts [--connector federation|transports|sdk] <url>\n',
    );
    process.exit(2);
  }
  runClientScenario(scenario, url, CONNECTORS[connector as ClientConnectorName]).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}
