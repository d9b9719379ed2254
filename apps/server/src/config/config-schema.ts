/**
 * The schema of `fedmcp.config.json`. Its `mcpServers` section takes Claude Desktop's format
 * unchanged (`command/args/env`, or `url/type/headers`), plus fedmcp's own options per entry.
 */
import { toNamespaceId } from '@fedmcp/protocol';
import { authConfigSchema, policyRuleSchema, upstreamOAuthConfigSchema } from '@fedmcp/proxy-auth';
import { z } from 'zod';
import { peersConfigSchema } from '../federation/peers-config.js';
import { runtimeConfigSchema } from '../runtime/runtime-config-schema.js';
import { telemetrySection } from '../telemetry/telemetry-config.js';
import { closestName } from './closest-name.js';
import { clusterSection } from './cluster-config.js';
import { hubCorsSection } from './cors-config.js';
import { hubTasksSection } from './hub-tasks-config.js';
import { tokenExchangeConfigSchema } from './token-exchange-config.js';

const upstreamIdPattern = /^[a-z0-9][a-z0-9-]{0,31}$/;

const toolFilter = z
  .object({
    allow: z.array(z.string(), { error: 'expected a list of glob patterns' }).optional(),
    deny: z.array(z.string(), { error: 'expected a list of glob patterns' }).optional(),
  })
  .strict();

/** fedmcp's own options on an `mcpServers` entry, next to Claude Desktop's keys. */
const upstreamOptions = {
  prefix: z
    .union([
      z.literal(false),
      z.string().regex(upstreamIdPattern, {
        error:
          'expected a prefix of 1–32 characters: a-z, 0-9 and "-", starting with a letter or digit',
      }),
    ])
    .optional(),
  enabled: z.boolean({ error: 'expected true or false' }).optional(),
  timeoutMs: z
    .number({ error: 'expected a number of milliseconds' })
    .int()
    .positive({ error: 'expected a positive number of milliseconds' })
    .optional(),
  tools: toolFilter.optional(),
  isolation: z
    .enum(['shared', 'per-session', 'per-principal'], {
      error: 'expected "shared", "per-session" or "per-principal"',
    })
    .optional(),
  /**
   * With `isolation: "per-principal"`: each caller's own headers (remote) or env (stdio); `{subject}`
   * inside a `${secret:NAME}` reference stands for the caller's subject.
   */
  principalCredentials: z
    .object(
      {
        headers: z.record(z.string(), z.string({ error: 'expected a string value' })).optional(),
        env: z.record(z.string(), z.string({ error: 'expected a string value' })).optional(),
      },
      { error: 'expected { "headers": {…} } or { "env": {…} }' },
    )
    .strict()
    .optional(),
  maxConnections: z.number().int().positive().optional(),
  failureMode: z.enum(['open', 'closed'], { error: 'expected "open" or "closed"' }).optional(),
  /**
   * Client capabilities some tools need, by the upstream's own tool name: clients without one do
   * not see the tool, e.g. `{ "trigger-sampling-request": ["sampling"] }`.
   */
  requiresClientCapabilities: z
    .record(z.string(), z.array(z.string(), { error: 'expected a list of capability names' }))
    .optional(),
  /** `"search"`: the tools are not listed; clients find them with `find_tools`. @default "all" */
  exposure: z.enum(['all', 'search'], { error: 'expected "all" or "search"' }).optional(),
};

const stdioServer = z
  .object({
    command: z.string({ error: 'expected a string: the program to run' }).min(1, {
      error: 'expected a non-empty command',
    }),
    args: z.array(z.string(), { error: 'expected a list of strings' }).optional(),
    env: z.record(z.string(), z.string({ error: 'expected a string value' })).optional(),
    cwd: z.string().optional(),
    ...upstreamOptions,
  })
  .strict();

const remoteServer = z
  .object({
    url: z.url({ error: 'expected an absolute URL (http://, https://, ws:// or wss://)' }),
    type: z
      .enum(['http', 'streamable-http', 'sse', 'ws', 'websocket'], {
        error: 'expected one of "http", "streamable-http", "sse", "ws", "websocket"',
      })
      .optional(),
    headers: z.record(z.string(), z.string({ error: 'expected a string value' })).optional(),
    /** The hub as an OAuth 2.1 client of this upstream (see README "Connect OAuth-protected servers"). */
    oauth: upstreamOAuthConfigSchema.optional(),
    /** Per-user tokens by RFC 8693 token exchange (see README "Per-user upstream connections"). */
    tokenExchange: tokenExchangeConfigSchema.optional(),
    ...upstreamOptions,
  })
  .strict();

/** The keys an `mcpServers` entry may have (stdio or remote), for "did you mean". */
export const mcpServerEntryKeys = [
  ...new Set([...Object.keys(stdioServer.shape), ...Object.keys(remoteServer.shape)]),
];

const mcpServer = z.unknown().transform((value, context) => {
  const entry = value as Record<string, unknown> | null;
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    context.addIssue({ code: 'custom', message: 'expected an object with "command" or "url"' });
    return z.NEVER;
  }
  if ('command' in entry && 'url' in entry) {
    context.addIssue({
      code: 'custom',
      message: 'give either "command" (stdio) or "url" (remote), not both',
    });
    return z.NEVER;
  }
  const schema = 'url' in entry ? remoteServer : 'command' in entry ? stdioServer : undefined;
  if (!schema) {
    // A misspelt "command" or "url" (a pasted config) gets named.
    const near = Object.keys(entry)
      .map((key) => ({ key, near: closestName(key, ['command', 'url']) }))
      .find((candidate) => candidate.near !== undefined);
    context.addIssue({
      code: 'custom',
      message: `expected "command" (a local stdio server) or "url" (a remote server)${near ? ` (did you mean "${near.near}" for "${near.key}"?)` : ''}`,
    });
    return z.NEVER;
  }
  const parsed = schema.safeParse(entry);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) context.addIssue({ ...issue, code: 'custom' });
    return z.NEVER;
  }
  if (parsed.data.principalCredentials && parsed.data.isolation !== 'per-principal') {
    context.addIssue({
      code: 'custom',
      path: ['principalCredentials'],
      message:
        'principalCredentials needs "isolation": "per-principal" (one connection per caller)',
    });
    return z.NEVER;
  }
  const oauth = (parsed.data as { oauth?: { mode?: string } }).oauth;
  if (oauth?.mode === 'user' && parsed.data.isolation !== 'per-principal') {
    context.addIssue({
      code: 'custom',
      path: ['oauth', 'mode'],
      message:
        '"mode": "user" needs "isolation": "per-principal" (each caller holds its own token)',
    });
    return z.NEVER;
  }
  const tokenExchange = (parsed.data as { tokenExchange?: unknown }).tokenExchange;
  if (tokenExchange && (parsed.data.isolation !== 'per-principal' || oauth)) {
    context.addIssue({
      code: 'custom',
      path: ['tokenExchange'],
      message: oauth
        ? 'give either "tokenExchange" or "oauth", not both: each sets the upstream token'
        : 'tokenExchange needs "isolation": "per-principal" (each caller gets its own token)',
    });
    return z.NEVER;
  }
  return parsed.data;
});

const transportsSection = z
  .object({
    streamableHttp: z.boolean().optional(),
    sse: z.boolean().optional(),
    websocket: z.boolean().optional(),
  })
  .strict();

/** `hub.tls`: serve HTTPS and WSS. Paths are PEM files, relative to the config's base directory. */
const tlsSection = z
  .object({
    cert: z.string({ error: 'expected the path of a PEM certificate file' }).min(1),
    key: z.string({ error: 'expected the path of a PEM private key file' }).min(1),
    ca: z.string({ error: 'expected the path of a PEM file of CA certificates' }).min(1).optional(),
    requestClientCert: z.boolean({ error: 'expected true or false' }).optional(),
  })
  .strict();

/** `policy`: the ordered rules of the policy engine (see `@fedmcp/proxy-auth`). */
const policySection = z
  .object({
    rules: z.array(policyRuleSchema, { error: 'expected a list of policy rules' }),
  })
  .strict();

/** `secrets`: where `${secret:NAME}` values come from. */
const secretsSection = z
  .object({
    file: z.string({ error: 'expected a file path' }).min(1).optional(),
    keyFile: z.string({ error: 'expected a file path' }).min(1).optional(),
  })
  .strict();

/** `audit`: what audit events keep beyond who, what and the outcome. */
const auditSection = z
  .object({
    recordArguments: z.boolean({ error: 'expected true or false' }).optional(),
    recordResults: z.boolean({ error: 'expected true or false' }).optional(),
  })
  .strict();

/** `hub.keys`: where the hub's signing keys live and how new ones are made. */
const hubKeysSection = z
  .object({
    /** The keys file, relative to the config's base directory. @default `<dataDir>/hub-keys.json` */
    file: z.string({ error: 'expected a file path' }).min(1).optional(),
    /** The algorithm of new keys. @default 'EdDSA' (Ed25519) */
    algorithm: z.enum(['EdDSA', 'ES256'], { error: 'expected "EdDSA" or "ES256"' }).optional(),
    /** How long a rotated-out key stays published, in hours. @default 24 */
    gracePeriodHours: z.number({ error: 'expected a number of hours' }).positive().optional(),
  })
  .strict();

const positiveInteger = (what: string) =>
  z
    .number({ error: `expected a number of ${what}` })
    .int({ error: `expected a whole number of ${what}` })
    .positive({ error: `expected a positive number of ${what}` });
const milliseconds = () =>
  z
    .number({ error: 'expected a number of milliseconds' })
    .int({ error: 'expected a whole number of milliseconds' })
    .min(0, { error: 'expected 0 (off) or a positive number of milliseconds' });

/**
 * `hub.limits`: the protections of the HTTP host and the stdio host (README "Limits and
 * protections" lists each default). Omitted keys keep the defaults of `@fedmcp/transports`.
 */
const hubLimitsSection = z
  .object({
    /** Largest request body and WebSocket message, in bytes (413 beyond). @default 4194304 */
    maxBodyBytes: positiveInteger('bytes').optional(),
    /** Largest stdio message (one line), in bytes. @default 10485760 */
    maxStdioMessageBytes: positiveInteger('bytes').optional(),
    /** Deepest nesting of one JSON-RPC message (400 -32600/-32602 beyond). @default 64 */
    maxJsonDepth: positiveInteger('levels').optional(),
    /** Open sessions, all transports (503 beyond). @default 10000 */
    maxSessions: positiveInteger('sessions').optional(),
    /** Open sessions per principal, or per address for anonymous clients (429 beyond). @default 1000 */
    maxSessionsPerPrincipal: positiveInteger('sessions').optional(),
    /** A session with no request in flight or open stream for this long is closed; 0 disables. @default 300000 */
    sessionIdleTimeoutMs: milliseconds().optional(),
    /** Open connections (idle ones closed to make room, else 503). @default 80% of the open-file limit, at most 10000 */
    maxConnections: positiveInteger('connections').optional(),
    /** Open connections per client address. @default 2000 */
    maxConnectionsPerAddress: positiveInteger('connections').optional(),
    /** Time to send the request headers (408 after). @default 10000 */
    headersTimeoutMs: positiveInteger('milliseconds').optional(),
    /** Time to send a whole request (408 after). @default 60000 */
    requestTimeoutMs: positiveInteger('milliseconds').optional(),
    /** A request body silent this long is answered 408; 0 disables. @default 10000 */
    bodyIdleTimeoutMs: milliseconds().optional(),
  })
  .strict();

const hubSection = z
  .object({
    id: z.string().min(1).optional(),
    name: z.string().min(1).optional(),
    host: z.string({ error: 'expected a host name or IP address' }).min(1).default('127.0.0.1'),
    port: z
      .number({ error: 'expected a port number' })
      .int()
      .min(0, { error: 'expected a port between 0 and 65535' })
      .max(65535, { error: 'expected a port between 0 and 65535' })
      .default(3333),
    transports: transportsSection.default({}),
    dataDir: z.string().min(1).default('./.fedmcp'),
    allowedHosts: z.array(z.string()).optional(),
    /** @deprecated Use `cors.allowedOrigins` (full origins); bare hostnames only pass the Origin check. */
    allowedOrigins: z.array(z.string()).optional(),
    /** Browser clients on other origins (see `hubCorsSection`). @default none */
    cors: hubCorsSection.optional(),
    /**
     * The hub's canonical resource URI (its public MCP endpoint, RFC 8707): the audience tokens
     * must carry and the `resource` of its Protected Resource Metadata.
     * @default `http(s)://<host>:<port>/mcp`
     */
    url: z
      .url({ error: 'expected an absolute URL, e.g. "https://hub.example.com/mcp"' })
      .optional(),
    tls: tlsSection.optional(),
    /** The most hubs a request may pass through, this one included (discovery `maxHops`). @default 4 */
    maxHops: z
      .number({ error: 'expected a number of hubs' })
      .int()
      .min(1, { error: 'expected a number between 1 and 32' })
      .max(32, { error: 'expected a number between 1 and 32' })
      .optional(),
    /** The hub's signing keys (peer tokens, `/.well-known/jwks.json`). */
    keys: hubKeysSection.optional(),
    /** Connection, session, size and nesting limits (see `hubLimitsSection`). */
    limits: hubLimitsSection.optional(),
    /** Items per page of the hub's tools, prompts, resources and templates lists. @default 1000 */
    pageSize: z
      .number({ error: 'expected a number of items' })
      .int()
      .positive({ error: 'expected a positive number of items' })
      .optional(),
    /** The hub's own instructions; clients get them followed by each upstream's. */
    instructions: z.string({ error: 'expected a string' }).optional(),
    /** The most characters of merged instructions a client gets. @default 8192 */
    maxInstructionsChars: z
      .number({ error: 'expected a number of characters' })
      .int()
      .positive({ error: 'expected a positive number of characters' })
      .optional(),
    /** Durable tasks: retention, limits, resumable tools, signed callbacks (see `hubTasksSection`). */
    tasks: hubTasksSection.optional(),
    /**
     * `fedmcp deploy cloudflare`: how many Durable Objects serve the hub (sessions and paused
     * calls stay on their object, the rest spreads). The Node hub ignores it. @default 1
     */
    shards: z
      .number({ error: 'expected a number of objects' })
      .int()
      .min(1, { error: 'expected a number between 1 and 1024' })
      .max(1024, { error: 'expected a number between 1 and 1024' })
      .optional(),
  })
  .strict();

/** Tool-definition pinning: a tool or prompt that changes after it was trusted is held back. */
const pinningSection = z
  .object({
    /** Pin definitions and quarantine changed ones. @default true */
    enabled: z.boolean({ error: 'expected true or false' }).default(true),
    /** `"trust"`: a new tool is pinned on first sight; `"hold"`: it waits for `fedmcp tools approve`. @default "trust" */
    newItems: z.enum(['trust', 'hold'], { error: 'expected "trust" or "hold"' }).default('trust'),
    /** `"hide"`: a quarantined tool is left out of lists; `"warn"`: listed with a warning (never callable). @default "hide" */
    onQuarantined: z.enum(['hide', 'warn'], { error: 'expected "hide" or "warn"' }).default('hide'),
    /** An approved pin file (JSON, as `ToolPinning.exportPins()` writes it), relative to the base directory. */
    pinFile: z.string().min(1).optional(),
  })
  .strict();

/** Consent questions (policy rules with `consent: "required"`). */
const consentSection = z
  .object({
    /** The periods offered with "allow for a period" (`15m`, `1h`, `7d`…); the first is the default. */
    periods: z
      .array(
        z.string().regex(/^[1-9][0-9]{0,5}[smhd]$/, {
          error: 'expected a period such as "15m", "1h" or "7d"',
        }),
      )
      .min(1)
      .optional(),
    /** A grant given through the question covers only calls with the same arguments. @default false */
    bindArguments: z.boolean({ error: 'expected true or false' }).optional(),
  })
  .strict();

const globs = z.array(z.string({ error: 'expected a glob string' }), {
  error: 'expected a list of globs',
});
/** One include or exclude filter of a view (see `CatalogViewFilter` of `@fedmcp/federation`). */
const viewFilter = z
  .object({
    upstreams: globs.optional(),
    tools: globs.optional(),
    prompts: globs.optional(),
    resources: globs.optional(),
    annotations: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
/** A view: a named subset of the catalog served at `/mcp/<name>`. */
const viewSection = z
  .object({
    include: z.union([viewFilter, z.array(viewFilter)]).optional(),
    exclude: z.union([viewFilter, z.array(viewFilter)]).optional(),
    exposure: z.enum(['all', 'search'], { error: 'expected "all" or "search"' }).optional(),
  })
  .strict();

const storeUrlExpected =
  'expected a store URL: "sqlite:PATH", "memory:", "redis://…" or "postgres://…"';

/** The whole config file. Keys beyond these are refused, so a typo cannot go unnoticed. */
export const configSchema = z
  .object({
    $schema: z.string().optional(),
    hub: hubSection.default({
      host: '127.0.0.1',
      port: 3333,
      transports: {},
      dataDir: './.fedmcp',
    }),
    store: z
      .string({ error: storeUrlExpected })
      .regex(/^(memory:|sqlite:|redis:\/\/|rediss:\/\/|postgres:\/\/|postgresql:\/\/)/, {
        error: storeUrlExpected,
      })
      .refine((url) => !/^postgres(ql)?:/.test(url) || URL.canParse(url), {
        error: 'expected a PostgreSQL URL: "postgres://user:password@host:5432/database"',
      })
      .optional(),
    /**
     * How the embedded sqlite store commits: `"normal"` survives a crash of the process (WAL
     * written to the OS) and keeps fsyncs off every call; `"full"` also survives a power cut
     * (an fsync per commit, several times slower per audited call). @default "normal"
     */
    storeSynchronous: z
      .enum(['normal', 'full'], { error: 'expected "normal" or "full"' })
      .default('normal'),
    mcpServers: z.record(z.string(), mcpServer).default({}),
    auth: authConfigSchema.optional(),
    policy: policySection.optional(),
    secrets: secretsSection.optional(),
    audit: auditSection.optional(),
    pinning: pinningSection.default({ enabled: true, newItems: 'trust', onQuarantined: 'hide' }),
    consent: consentSection.optional(),
    /** Peer hubs this hub trusts, by hub id (see `fedmcp peers add`). */
    peers: peersConfigSchema.optional(),
    /**
     * The built-in `runtime` upstream (webhooks, automations, transcripts, intents, status):
     * `false` turns it off. Read at start-up.
     */
    runtime: runtimeConfigSchema.optional(),
    /** Named subsets of the catalog, each served at `/mcp/<name>` (read at start-up). */
    views: z
      .record(
        z.string().regex(upstreamIdPattern, {
          error:
            'expected a view name of 1–32 characters: a-z, 0-9 and "-", starting with a letter or digit',
        }),
        viewSection,
      )
      .optional(),
    /** Prometheus `/metrics` and OpenTelemetry traces (README "Operate"). */
    telemetry: telemetrySection.optional(),
    /**
     * Replicas serving each other's 2025-era sessions: the shared secret that seals session ids
     * (README "Run several replicas"). Read at start-up.
     */
    cluster: clusterSection.optional(),
  })
  .strict();

/** A validated `fedmcp.config.json`, defaults applied. */
export type FedmcpConfig = z.output<typeof configSchema>;
/** One validated `mcpServers` entry. */
export type McpServerEntry = FedmcpConfig['mcpServers'][string];
/** The shape users write (defaults optional). */
export type FedmcpConfigInput = z.input<typeof configSchema>;

/**
 * The upstream id (and default prefix) for an `mcpServers` key: the key itself when it is a valid
 * id, otherwise a slug of it ("GitHub Server" → "github-server"), so Claude Desktop names work as-is.
 */
export function upstreamIdFromName(name: string): string {
  return toNamespaceId(name, 'upstream');
}
