/**
 * The federation discovery document every hub serves at `/.well-known/mcp-federation`: who the
 * hub is, where and how to reach its MCP endpoint, where its signing keys are, which MCP protocol
 * versions it speaks and how many hops it accepts. Field names follow MCP's camelCase JSON.
 */
import * as z from 'zod';
import { HubIdSchema } from './federation-meta.js';
import { FedmcpError } from './fedmcp-error.js';

/** The path of the discovery document. */
export const DISCOVERY_DOCUMENT_PATH = '/.well-known/mcp-federation';

/** The MCP protocol versions fedmcp hubs speak, oldest first. */
export const FEDMCP_PROTOCOL_VERSIONS = ['2025-11-25', '2026-07-28'] as const;

const httpUrl = (what: string) =>
  z.url({ protocol: /^https?$/, error: `must be an http:// or https:// URL (${what})` });
const webSocketUrl = z.url({ protocol: /^wss?$/, error: 'must be a ws:// or wss:// URL' });

/** One way to reach the hub's MCP endpoint. */
export const DiscoveryTransportSchema = z.discriminatedUnion(
  'type',
  [
    z.object({ type: z.literal('streamable-http'), url: httpUrl('the Streamable HTTP endpoint') }),
    z.object({ type: z.literal('sse'), url: httpUrl('the HTTP+SSE endpoint') }),
    z.object({ type: z.literal('websocket'), url: webSocketUrl }),
  ],
  { error: 'must be "streamable-http", "sse" or "websocket"' },
);

/** One way to reach the hub's MCP endpoint. */
export type DiscoveryTransport = z.infer<typeof DiscoveryTransportSchema>;

/** Schema of the discovery document served at `/.well-known/mcp-federation`. */
export const DiscoveryDocumentSchema = z.object({
  /** The hub's id: what peers use as its namespace prefix, and the `iss` of its peer tokens. */
  hubId: HubIdSchema,
  /** A human-readable name. */
  name: z.string().min(1).max(200),
  /** The hub software version, e.g. `'0.1.0'`. */
  version: z.string().min(1).max(64),
  /** The primary MCP endpoint (Streamable HTTP). */
  endpoint: httpUrl('the primary MCP endpoint'),
  /** Every transport the hub serves, with its URL. */
  transports: z.array(DiscoveryTransportSchema).min(1, 'must list at least one transport'),
  /** Where the hub publishes the public keys that verify its peer tokens (RFC 7517 JWK Set). */
  jwksUri: httpUrl('the JWK Set'),
  /** The MCP protocol versions the hub speaks (e.g. `2025-11-25`, `2026-07-28`). */
  protocolVersions: z
    .array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be an MCP protocol version (YYYY-MM-DD)'))
    .min(1, 'must list at least one protocol version'),
  /** The most hubs a request may pass through, this hub included. */
  maxHops: z.int().min(1).max(32),
});

/** The discovery document served at `/.well-known/mcp-federation`. */
export type DiscoveryDocument = z.infer<typeof DiscoveryDocumentSchema>;

/** Options of {@link parseDiscoveryDocument}. */
export interface ParseDiscoveryDocumentOptions {
  /** Where the document came from, for the error message. */
  source?: string;
}

/**
 * Validates a discovery document (for example the JSON fetched from a peer).
 *
 * @throws {FedmcpError} `INVALID_CONFIG`, naming each bad field.
 * @example
 * ```ts
 * const document = parseDiscoveryDocument(await response.json(), { source: response.url });
 * ```
 */
export function parseDiscoveryDocument(
  value: unknown,
  options: ParseDiscoveryDocumentOptions = {},
): DiscoveryDocument {
  const parsed = DiscoveryDocumentSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (issue) => `${issue.path.length === 0 ? '(document)' : issue.path.join('.')}: ${issue.message}`,
  );
  const from = options.source === undefined ? '' : ` from ${options.source}`;
  throw new FedmcpError(
    'INVALID_CONFIG',
    `The federation discovery document${from} is invalid: ${problems.join('; ')}. Check that the URL points at a fedmcp hub and that the hub is configured correctly.`,
    { data: { problems, ...(options.source === undefined ? {} : { source: options.source }) } },
  );
}
