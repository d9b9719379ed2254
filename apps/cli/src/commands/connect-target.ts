import { FEDMCP_VERSION } from '@fedmcp/protocol';
import { createFedmcpServer } from '@fedmcp/server';
import { createInMemoryTransportPair } from '@fedmcp/transports';
import { connectUpstream } from '@fedmcp/transports/node';
import { Client } from '@modelcontextprotocol/client';
import { resolveConfig } from './resolve-config.js';
import { findRunningHub, noRunningHubMessage } from './running-hub.js';

/** A client connected to a running hub (by URL) or to a hub built from a config, in process. */
export interface ConnectedTarget {
  client: Client;
  /** What the client talks to, for messages. */
  description: string;
  close(): Promise<void>;
}

const clientInfo = { name: 'fedmcp-cli', version: FEDMCP_VERSION };

/** The `--header` and `--token` options of the commands that connect to a `--url`. */
export const credentialOptions = {
  header: { type: 'string', short: 'H', multiple: true },
  token: { type: 'string' },
  offline: { type: 'boolean', default: false },
} as const;

/** Usage text of {@link credentialOptions}. */
export const credentialUsage = '[--header "Name: value"]... [--token TOKEN]';

/** A command-line mistake: the command prints it and exits 2. */
export class CliUsageError extends Error {}

/** Header names the transport sets itself; a `--header` may not replace them. */
const RESERVED_HEADERS = new Set([
  'accept',
  'connection',
  'content-length',
  'content-type',
  'host',
  'mcp-protocol-version',
  'mcp-session-id',
  'upgrade',
]);

/**
 * The request headers of `--header "Name: value"` (repeatable) and `--token T` (sent as
 * `Authorization: Bearer T`).
 * @throws {CliUsageError} for a malformed or reserved header, or both `--token` and an
 * `Authorization` header. Messages name the header, never its value.
 */
export function credentialHeaders(options: {
  header?: readonly string[] | undefined;
  token?: string | undefined;
}): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const entry of options.header ?? []) {
    const separator = entry.indexOf(':');
    const name = separator === -1 ? '' : entry.slice(0, separator).trim().toLowerCase();
    const value = separator === -1 ? '' : entry.slice(separator + 1).trim();
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name) || value === '' || /[\r\n\0]/.test(value)) {
      throw new CliUsageError(
        `--header must look like "Name: value" (got one ${name === '' ? 'without a name' : `named "${name}" without a valid value`}).`,
      );
    }
    if (RESERVED_HEADERS.has(name)) {
      throw new CliUsageError(`--header cannot set "${name}": the transport sets it.`);
    }
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  if (options.token !== undefined) {
    if (options.token === '' || /[\s\0]/.test(options.token)) {
      throw new CliUsageError('--token must be a non-empty token without spaces.');
    }
    if (headers.authorization !== undefined) {
      throw new CliUsageError('give either --token or --header "Authorization: …", not both.');
    }
    headers.authorization = `Bearer ${options.token}`;
  }
  return headers;
}

/** Replaces every credential value inside `text` (an error message) with `[redacted]`. */
function redact(text: string, headers: Record<string, string>): string {
  let result = text;
  for (const value of Object.values(headers)) {
    const secrets = [value, value.replace(/^Bearer\s+/i, '')].filter((part) => part.length >= 4);
    for (const secret of secrets) result = result.split(secret).join('[redacted]');
  }
  return result;
}

async function connectUrl(url: string, headers: Record<string, string>): Promise<Client> {
  try {
    return await connectUpstream({ url }, { clientInfo, restart: false, headers });
  } catch (error) {
    // Whatever the transport put into its message, the credentials stay out of the output.
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(redact(message, headers), { cause: error });
  }
}

/**
 * Connects to `--url` (any hub or MCP server: Streamable HTTP, SSE or WebSocket), else to the hub
 * of `--config` running on its configured port, sending the `--header`/`--token` credentials on
 * every request; with `--offline`, starts the hub of `--config` in this process instead (no port,
 * no state on disk) for one command.
 * @throws {CliUsageError} for bad credential options or credentials with `--offline`; an Error when
 * no hub runs on the config's port (without `--offline`).
 */
export async function connectTarget(options: {
  url?: string | undefined;
  config?: string | undefined;
  header?: readonly string[] | undefined;
  token?: string | undefined;
  offline?: boolean | undefined;
}): Promise<ConnectedTarget> {
  const headers = credentialHeaders(options);
  if (options.url !== undefined) {
    if (options.offline) throw new CliUsageError('give either --url or --offline, not both.');
    const client = await connectUrl(options.url, headers);
    return { client, description: options.url, close: () => client.close() };
  }
  if (options.offline && Object.keys(headers).length > 0) {
    throw new CliUsageError(
      '--header and --token are sent to a running hub: an --offline hub runs in this process without authentication.',
    );
  }
  const { config, file } = await resolveConfig(options.config);
  if (!options.offline) {
    const running = await findRunningHub(config);
    // Not a usage mistake (exit 1): the hub is not running.
    if (running === undefined) throw new Error(noRunningHubMessage(config));
    const url = `${running}/mcp`;
    const client = await connectUrl(url, headers).catch((error: Error) => {
      if (Object.keys(headers).length > 0 || !/401|unauthori[sz]ed/i.test(error.message))
        throw error;
      throw new Error(
        `${error.message}\nThe hub at ${url} wants credentials: give --token KEY (an API key or token) or --header "Name: value".`,
        { cause: error },
      );
    });
    return { client, description: `the hub at ${url}`, close: () => client.close() };
  }
  const server = await createFedmcpServer({ config: { ...config, store: 'memory:' } });
  const [clientTransport, serverTransport] = createInMemoryTransportPair();
  const client = new Client(clientInfo);
  try {
    await server.start();
    await server.hub.createServer({ transport: 'in-memory' }).connect(serverTransport);
    await client.connect(clientTransport);
  } catch (error) {
    await server.close();
    throw error;
  }
  return {
    client,
    description: file ?? 'the default config',
    async close() {
      await client.close();
      await server.close();
    },
  };
}
