import { createNameTable, type NameTable } from './create-name-table.js';
import { createResourceUriTable, type ResourceUriTable } from './create-resource-uri-table.js';

/** Options of {@link createNamespaceCodec}. */
export interface NamespaceCodecOptions {
  /**
   * Whether names and URIs get the upstream's namespace. `false` is pass-through: names and URIs
   * are exposed unchanged (and only namespaced when they would collide). Each `encode` call can
   * override it, for upstreams configured with `prefix: false`.
   * @default true
   */
  prefix?: boolean;
  /**
   * The longest tool or prompt name the hub exposes; longer ones are shortened to a head and a
   * stable hash.
   * @default 64
   */
  maxLength?: number;
  /**
   * What to do with upstream names that break the MCP tool-name rules.
   * @default 'sanitize'
   */
  invalidNames?: 'sanitize' | 'reject';
  /**
   * The scheme of hub resource URIs.
   * @default 'fedmcp'
   */
  scheme?: string;
}

/** The namespacing of one hub: tool names, prompt names and resource URIs. */
export interface NamespaceCodec {
  /** Tool names: `github__create_issue`. */
  readonly tools: NameTable;
  /** Prompt names: `github__summarize_pr`. */
  readonly prompts: NameTable;
  /** Resource URIs and templates: `fedmcp://github/file:///README.md`. */
  readonly resources: ResourceUriTable;
  /** Forgets everything registered for an upstream (when it is removed or re-listed). */
  forgetUpstream(upstreamId: string): void;
}

/**
 * Creates the namespacing codec of a hub. Tools and prompts are exposed as
 * `<upstreamId>__<name>` (through a peer: `eu__github__create_issue`), names over `maxLength` are
 * shortened deterministically, and resource URIs become `fedmcp://<upstreamId>/<upstream URI>`.
 * Everything maps back exactly.
 *
 * @throws {InvalidConfigError} when `maxLength` or `scheme` is invalid.
 * @example
 * ```ts
 * const codec = createNamespaceCodec();
 * const name = codec.tools.encode('github', 'create_issue'); // 'github__create_issue'
 * codec.tools.decode(name); // { upstreamId: 'github', name: 'create_issue' }
 * codec.resources.encode('github', 'file:///a.md'); // 'fedmcp://github/file:///a.md'
 * ```
 */
export function createNamespaceCodec(options: NamespaceCodecOptions = {}): NamespaceCodec {
  const tools = createNameTable({ ...options, kind: 'tool' });
  const prompts = createNameTable({ ...options, kind: 'prompt' });
  const resources = createResourceUriTable({ prefix: options.prefix, scheme: options.scheme });
  return {
    tools,
    prompts,
    resources,
    forgetUpstream(upstreamId) {
      tools.forgetUpstream(upstreamId);
      prompts.forgetUpstream(upstreamId);
      resources.forgetUpstream(upstreamId);
    },
  };
}
