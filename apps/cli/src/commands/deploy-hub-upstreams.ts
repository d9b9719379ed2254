/**
 * Upstreams added, changed, removed and restarted through the admin API of the hub `fedmcp
 * deploy` bundles: HTTP(S) ones only (a stdio upstream needs a process), kept in the store as
 * written — a credential as a `${secret:NAME}` reference of a binding that exists, never
 * literally, as the deploy refuses it — and resolved when the hub runs them. Each hub object
 * (`hub.shards`, or the same one after a restart) applies the stored ones when it starts and hears
 * new ones on the store's pub/sub. No `node:` imports.
 */
import type { Hub, UpstreamConfig } from '@fedmcp/federation';
import { SECRET_KEY_PATTERN } from '@fedmcp/proxy-auth';
import { startUpstreamSync, type UpstreamChanges, type UpstreamSync } from '@fedmcp/server/admin';
import type { Store } from '@fedmcp/store';

const REFERENCE = /\$(\$)?\{(?:secret:)?([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Where `input` writes a credential literally: as `deploy-hub-literals.ts` finds them (a string
 * under a key naming one, or a URL's password) unless it is a reference. That module is not
 * imported: it brings the CLI's Node code into the bundle.
 */
function literalCredentials(input: unknown, path = ''): string[] {
  if (typeof input === 'string') {
    const key = path.split('.').at(-1) ?? '';
    if (input === '' || new RegExp(REFERENCE.source).test(input)) return [];
    if (/^[a-z][a-z0-9+.-]*:/i.test(input) && URL.canParse(input))
      return new URL(input).password === '' ? [] : [path];
    return SECRET_KEY_PATTERN.test(key) ? [path] : [];
  }
  if (input === null || typeof input !== 'object') return [];
  return Object.entries(input).flatMap(([key, item]) =>
    literalCredentials(item, path ? `${path}.${key}` : key),
  );
}

/** The strings of `value`, deeply. */
function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsOf);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(stringsOf);
  return [];
}

/** The names `value` refers to that have neither a binding nor a fallback. */
function unboundReferences(value: unknown, lookup: (name: string) => string | undefined): string[] {
  const missing = new Set<string>();
  for (const text of stringsOf(value)) {
    for (const [, escaped, name, fallback] of text.matchAll(REFERENCE)) {
      if (!escaped && name && fallback === undefined && lookup(name) === undefined)
        missing.add(name);
    }
  }
  return [...missing];
}

/** `value` with each reference replaced by its binding (or fallback). */
function resolveReferences<T>(value: T, lookup: (name: string) => string | undefined): T {
  const visit = (node: unknown): unknown => {
    if (typeof node === 'string')
      return node.replace(REFERENCE, (whole, escaped, name: string, fallback?: string) =>
        escaped ? whole.slice(1) : (lookup(name) ?? fallback ?? ''),
      );
    if (Array.isArray(node)) return node.map(visit);
    if (node !== null && typeof node === 'object')
      return Object.fromEntries(Object.entries(node).map(([key, item]) => [key, visit(item)]));
    return node;
  };
  return visit(value) as T;
}

/** Why the edge hub cannot take `input` as upstream `id`, or `undefined`. */
function refusal(
  id: string,
  input: Record<string, unknown>,
  lookup: (name: string) => string | undefined,
): string | undefined {
  if (typeof input.command === 'string') {
    return `Upstream "${id}" is a stdio server ("command"): the edge hub cannot start processes; give the "url" of an HTTP(S) MCP server.`;
  }
  const literals = literalCredentials(input);
  if (literals.length > 0) {
    return (
      `Upstream "${id}" writes a credential literally at ${literals.join(', ')}: store it with ` +
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's reference syntax
      '`fedmcp secrets set NAME` and write "${secret:NAME}" there (as `fedmcp deploy` asks).'
    );
  }
  const missing = unboundReferences(input, lookup);
  if (missing.length > 0) {
    return `Upstream "${id}" refers to ${missing.join(', ')}, which the platform does not provide: set ${missing.length === 1 ? 'it' : 'them'} with \`fedmcp secrets set\` first.`;
  }
  return undefined;
}

/** Options of {@link startEdgeUpstreams}. */
export interface EdgeUpstreamsOptions {
  hub: Hub;
  store: Store;
  /** A binding's (or Deno environment variable's) value. */
  lookup(name: string): string | undefined;
  /** The deployed config's upstreams (resolved): what restart falls back to. */
  upstreams?: Readonly<Record<string, UpstreamConfig>>;
}

/** A running {@link startEdgeUpstreams}. */
export interface EdgeUpstreams {
  /** What the admin API's upstream routes need (`edgeAdminRoutes`' `upstreamChanges`). */
  changes: UpstreamChanges;
  close(): Promise<void>;
}

/** Applies the stored upstream changes to `hub`, hears new ones, and gives the routes their rules. */
export async function startEdgeUpstreams(options: EdgeUpstreamsOptions): Promise<EdgeUpstreams> {
  const { hub, store, lookup } = options;
  const resolve = (config: UpstreamConfig) => resolveReferences(config, lookup);
  const sync: UpstreamSync = await startUpstreamSync(
    { hub, store },
    {
      replicaId: crypto.randomUUID(),
      resolve,
      logger: {
        debug: () => {},
        info: () => {},
        warn: (object, message) => console.warn(message, object),
        error: (object, message) => console.error(message, object),
      },
    },
  );
  return {
    changes: {
      refuse: (id, input) => refusal(id, input as Record<string, unknown>, lookup),
      resolve,
      configuredUpstream: (id) => options.upstreams?.[id],
      announce: (change) => sync.announce(change),
    },
    close: () => sync.close(),
  };
}
