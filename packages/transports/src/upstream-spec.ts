/**
 * Upstream specs: the entries of a Claude-Desktop-style `mcpServers` map, validated by zod.
 * A local server is `{ command, args?, env?, cwd? }`; a remote one is `{ url, type?, headers? }`.
 * Unknown keys (`disabled`, `autoApprove`, …) are accepted and dropped, so pasted configs work.
 */
import { FedmcpError } from '@fedmcp/protocol';
import * as z from 'zod';

/** A local MCP server started as a child process and spoken to over stdio. */
export const stdioUpstreamSpecSchema = z.object({
  /** Some clients (VS Code, Cursor) write `type: "stdio"`; accepted and ignored. */
  type: z.literal('stdio').optional(),
  command: z.string().min(1, 'command must not be empty'),
  args: z.array(z.string()).optional(),
  env: z.record(z.string(), z.string()).optional(),
  cwd: z.string().min(1).optional(),
});

/** The transport names a remote spec may give in `type`. */
export const remoteUpstreamTypes = ['streamable-http', 'http', 'sse', 'ws', 'websocket'] as const;

/** A remote MCP server reached by URL. */
export const remoteUpstreamSpecSchema = z.object({
  url: z.string().refine((value) => {
    try {
      return ['http:', 'https:', 'ws:', 'wss:'].includes(new URL(value).protocol);
    } catch {
      return false;
    }
  }, 'url must be an absolute http://, https://, ws:// or wss:// URL'),
  /**
   * `streamable-http` / `http`: Streamable HTTP only; `sse`: the legacy HTTP+SSE transport only;
   * `ws` / `websocket`: WebSocket. Absent: chosen from the URL (ws/wss → WebSocket, else
   * Streamable HTTP with a fallback to SSE).
   */
  type: z.enum(remoteUpstreamTypes).optional(),
  headers: z.record(z.string(), z.string()).optional(),
});

/** Any upstream spec: stdio or remote. */
export const upstreamSpecSchema = z.union([stdioUpstreamSpecSchema, remoteUpstreamSpecSchema]);

/** A local MCP server started as a child process (Claude Desktop's `{ command, args, env }`). */
export type StdioUpstreamSpec = z.infer<typeof stdioUpstreamSpecSchema>;
/** A remote MCP server reached by URL. */
export type RemoteUpstreamSpec = z.infer<typeof remoteUpstreamSpecSchema>;
/** A Claude-Desktop-style upstream entry. */
export type UpstreamSpec = StdioUpstreamSpec | RemoteUpstreamSpec;

/** The transport an upstream connection runs on. */
export type UpstreamTransportKind = 'stdio' | 'streamable-http' | 'sse' | 'websocket';

/** True for a spec that starts a local process. */
export function isStdioUpstreamSpec(spec: UpstreamSpec): spec is StdioUpstreamSpec {
  return typeof (spec as StdioUpstreamSpec).command === 'string';
}

/**
 * Validates an `mcpServers` entry.
 *
 * @param input - The entry, as parsed from JSON.
 * @param name - The entry's name, used in error messages.
 * @throws FedmcpError `INVALID_CONFIG` naming the bad key, when the entry is not a valid spec.
 * @example
 * ```ts
 * const spec = parseUpstreamSpec({ command: 'npx', args: ['-y', 'server-everything'] }, 'everything');
 * ```
 */
export function parseUpstreamSpec(input: unknown, name = 'upstream'): UpstreamSpec {
  if (typeof input === 'object' && input !== null) {
    const hasCommand = 'command' in input;
    const hasUrl = 'url' in input;
    if (hasCommand && hasUrl) {
      throw new FedmcpError(
        'INVALID_CONFIG',
        `${name}: give either "command" (a local stdio server) or "url" (a remote server), not both.`,
      );
    }
    const schema = hasCommand ? stdioUpstreamSpecSchema : hasUrl ? remoteUpstreamSpecSchema : null;
    if (schema) {
      const result = schema.safeParse(input);
      if (result.success) return result.data;
      const issue = result.error.issues[0];
      const path = issue?.path.length ? `.${issue.path.join('.')}` : '';
      throw new FedmcpError('INVALID_CONFIG', `${name}${path}: ${issue?.message ?? 'invalid'}.`, {
        data: { path: issue?.path.map(String) ?? [] },
      });
    }
  }
  throw new FedmcpError(
    'INVALID_CONFIG',
    `${name}: an upstream needs "command" (a local stdio server) or "url" (a remote server).`,
  );
}

/**
 * The transport a remote spec asks for: `websocket` for ws/wss URLs or `type: "ws"`, `sse` for
 * `type: "sse"`, `streamable-http` for `type: "http"`/`"streamable-http"`, and `auto` (Streamable
 * HTTP, falling back to SSE) when nothing is said.
 */
export function requestedRemoteTransport(
  spec: RemoteUpstreamSpec,
): 'streamable-http' | 'sse' | 'websocket' | 'auto' {
  const protocol = new URL(spec.url).protocol;
  if (
    spec.type === 'ws' ||
    spec.type === 'websocket' ||
    protocol === 'ws:' ||
    protocol === 'wss:'
  ) {
    return 'websocket';
  }
  if (spec.type === 'sse') return 'sse';
  if (spec.type === 'http' || spec.type === 'streamable-http') return 'streamable-http';
  return 'auto';
}

/**
 * The default key under which an upstream's era verdict is cached: the URL for a remote
 * server, the command line and working directory for a local one. Headers are not part of it:
 * pass your own `cacheKey` when one URL is reached under several authorization contexts.
 */
export function upstreamCacheKey(spec: UpstreamSpec): string {
  if (isStdioUpstreamSpec(spec)) {
    return `stdio:${JSON.stringify([spec.command, ...(spec.args ?? [])])}${spec.cwd ? `@${spec.cwd}` : ''}`;
  }
  return `remote:${spec.url}`;
}
