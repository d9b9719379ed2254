/**
 * `/upstreams`: list, get, add, update, remove and restart upstreams. What is added or changed
 * here is kept in the store (`admin:upstreams:<id>`) and applied to the running hub through its
 * registry, keeping downstream sessions open.
 */
import type {
  UpstreamConfig,
  UpstreamOptions,
  UpstreamSpec,
  UpstreamStatus,
} from '@fedmcp/federation';
import { remoteUpstreamSpecSchema, stdioUpstreamSpecSchema } from '@fedmcp/transports';
import * as z from 'zod';
import type { ClusterChange } from '../../cluster/cluster-changes.js';
import type { AdminContext } from '../admin-context.js';
import { type AdminRoute, defineRoute } from '../admin-route.js';
import { ProblemError } from '../problem.js';

const KEY_PREFIX = 'admin:upstreams:';
const idPattern = /^[a-z0-9][a-z0-9-]{0,31}$/;

const idParams = z.object({
  id: z.string().regex(idPattern, 'expected an upstream id: 1–32 of a-z, 0-9 and "-"'),
});

const upstreamOptions = {
  prefix: z.union([z.literal(false), z.string().regex(idPattern)]).optional(),
  timeoutMs: z.number().int().positive().optional(),
  failureMode: z.enum(['open', 'closed']).optional(),
};

/** The body of add and update: a Claude-Desktop-style spec plus the hub's options for it. */
export const upstreamInputSchema = z
  .union([
    stdioUpstreamSpecSchema.extend(upstreamOptions).strict(),
    remoteUpstreamSpecSchema.extend(upstreamOptions).strict(),
  ])
  .meta({ id: 'UpstreamInput' });

/** An upstream as the admin API shows it (env and header values left out: they hold secrets). */
export const upstreamSchema = z
  .object({
    id: z.string(),
    state: z.enum(['connecting', 'ready', 'degraded', 'down', 'closed']),
    transport: z.enum(['stdio', 'remote']),
    command: z.string().optional(),
    args: z.array(z.string()).optional(),
    url: z.string().optional(),
    envKeys: z.array(z.string()).optional(),
    headerNames: z.array(z.string()).optional(),
    prefix: z.union([z.literal(false), z.string()]),
    era: z.enum(['legacy', 'modern']).optional(),
    connections: z.number().int(),
    tools: z.number().int(),
    error: z.string().optional(),
    source: z
      .enum(['config', 'admin'])
      .describe('Where it is defined: the config file or this API.'),
  })
  .meta({ id: 'Upstream' });

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    parsed.search = '';
    return parsed.toString();
  } catch {
    return url;
  }
}

function present(status: UpstreamStatus, source: 'config' | 'admin') {
  const spec = status.spec as Record<string, unknown>;
  const url = typeof spec.url === 'string' ? spec.url : undefined;
  return {
    id: status.id,
    state: status.state,
    transport: url ? ('remote' as const) : ('stdio' as const),
    ...(typeof spec.command === 'string' ? { command: spec.command } : {}),
    ...(Array.isArray(spec.args) ? { args: spec.args as string[] } : {}),
    ...(url ? { url: redactUrl(url) } : {}),
    ...(spec.env ? { envKeys: Object.keys(spec.env as object) } : {}),
    ...(spec.headers ? { headerNames: Object.keys(spec.headers as object) } : {}),
    prefix: status.prefix,
    ...(status.era ? { era: status.era } : {}),
    connections: status.connections,
    tools: status.tools,
    ...(status.error ? { error: status.error } : {}),
    source,
  };
}

function split(input: z.output<typeof upstreamInputSchema>, id: string) {
  const { prefix, timeoutMs, failureMode, ...spec } = input;
  return {
    spec,
    options: {
      prefix: prefix ?? id,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(failureMode === undefined ? {} : { failureMode }),
    },
  };
}

/** The body of add and update, as parsed. */
export type UpstreamInput = z.output<typeof upstreamInputSchema>;

/**
 * How the routes that change upstreams fit their host. Node: the config file's upstreams and the
 * replicas to tell; the edge (`fedmcp deploy`) adds what it refuses and how stored references
 * resolve to the platform's secrets.
 */
export interface UpstreamChanges {
  /** Why `input` cannot be added or set as `id` here (answered 400), or `undefined`. */
  refuse?(id: string, input: UpstreamInput): string | undefined;
  /** The config the hub runs for one as stored (say, `${secret:NAME}` replaced). @default as is */
  resolve?(config: UpstreamConfig): UpstreamConfig;
  /** The config's own entry for `id`, if it has one (what restart falls back to). */
  configuredUpstream?(id: string): UpstreamConfig | undefined;
  /** Tells the other replicas (or hub objects) of a change they apply from the store. */
  announce?(change: ClusterChange): Promise<void>;
}

const SPEC_KEYS = new Set(['type', 'command', 'args', 'env', 'cwd', 'url', 'headers']);

/** An upstream's config as the registry takes it: where it lives, and how the hub treats it. */
function splitConfig(
  config: UpstreamConfig,
  resolve: (config: UpstreamConfig) => UpstreamConfig = (same) => same,
): { spec: UpstreamSpec; options: UpstreamOptions } {
  const entries = Object.entries(resolve(config));
  return {
    spec: Object.fromEntries(entries.filter(([key]) => SPEC_KEYS.has(key))) as UpstreamSpec,
    options: Object.fromEntries(entries.filter(([key]) => !SPEC_KEYS.has(key))) as UpstreamOptions,
  };
}

/** Upstreams added through the API, from the store (to restore them at start). */
export async function storedUpstreams(
  context: Pick<AdminContext, 'store'>,
): Promise<Map<string, UpstreamConfig>> {
  const stored = new Map<string, UpstreamConfig>();
  let cursor: string | undefined;
  do {
    const page = await context.store.kv.list({ prefix: KEY_PREFIX, ...(cursor ? { cursor } : {}) });
    for (const entry of page.entries) {
      stored.set(entry.key.slice(KEY_PREFIX.length), JSON.parse(entry.value) as UpstreamConfig);
    }
    cursor = page.cursor;
  } while (cursor);
  return stored;
}

/**
 * Re-applies the upstreams the API added or changed before a restart (a change made through the
 * API wins over the config file's entry). `resolve` turns a stored config into the one the hub runs.
 * @returns the ones that could not be added, with why (a name collision with the config).
 */
export async function restoreStoredUpstreams(
  context: Pick<AdminContext, 'hub' | 'store'>,
  resolve?: UpstreamChanges['resolve'],
): Promise<Array<{ id: string; error: string }>> {
  const running = new Set(context.hub.upstreams.list().map((upstream) => upstream.id));
  const failed: Array<{ id: string; error: string }> = [];
  for (const [id, config] of await storedUpstreams(context)) {
    try {
      const { spec, options } = splitConfig(config, resolve);
      // Changed through the API: the stored version wins over the config file's.
      if (running.has(id)) await context.hub.upstreams.replace(id, spec, options);
      else await context.hub.upstreams.add(id, spec, options);
    } catch (error) {
      failed.push({ id, error: (error as Error).message });
    }
  }
  return failed;
}

/**
 * Applies to this replica an upstream another replica added, changed (`put`) or removed through
 * the API: the stored version is added or replaces the running one; a removal removes it here.
 */
export async function applyUpstreamChange(
  context: Pick<AdminContext, 'hub' | 'store'>,
  id: string,
  action: 'put' | 'removed',
  resolve?: UpstreamChanges['resolve'],
): Promise<void> {
  const running = context.hub.upstreams.list().some((upstream) => upstream.id === id);
  if (action === 'removed') {
    if (running) await context.hub.upstreams.remove(id);
    return;
  }
  const stored = await context.store.kv.get(KEY_PREFIX + id);
  if (!stored) return; // removed again since
  const { spec, options } = splitConfig(JSON.parse(stored.value) as UpstreamConfig, resolve);
  if (running) await context.hub.upstreams.replace(id, spec, options);
  else await context.hub.upstreams.add(id, spec, options);
}

function find(context: Pick<AdminContext, 'hub'>, id: string): UpstreamStatus {
  const found = context.hub.upstreams.list().find((upstream) => upstream.id === id);
  if (!found) throw new ProblemError(404, `No upstream "${id}".`);
  return found;
}

/** The routes that read upstreams: their list and one upstream, with state and tool count. */
export function upstreamStatusRoutes(context: Pick<AdminContext, 'hub' | 'store'>): AdminRoute[] {
  const sourceOf = async (id: string) =>
    (await context.store.kv.get(KEY_PREFIX + id)) ? ('admin' as const) : ('config' as const);
  return [
    defineRoute({
      method: 'GET',
      path: '/upstreams',
      operationId: 'listUpstreams',
      summary: 'Every upstream with its state (circuit open = down) and tool count.',
      tag: 'upstreams',
      response: z.object({ upstreams: z.array(upstreamSchema) }),
      handle: async () => {
        const stored = await storedUpstreams(context);
        return {
          upstreams: context.hub.upstreams
            .list()
            .filter((upstream) => upstream.id !== 'runtime' || stored.has('runtime'))
            .map((upstream) => present(upstream, stored.has(upstream.id) ? 'admin' : 'config')),
        };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/upstreams/{id}',
      operationId: 'getUpstream',
      summary: 'One upstream.',
      tag: 'upstreams',
      params: idParams,
      response: upstreamSchema,
      handle: async ({ params }) => present(find(context, params.id), await sourceOf(params.id)),
    }),
  ];
}

/**
 * The upstream routes: reading them, and adding, changing, removing and restarting them, kept in
 * the store (restored when the server or hub object starts) and announced to the others.
 */
export function upstreamRoutes(
  context: Pick<AdminContext, 'hub' | 'store'>,
  changes: UpstreamChanges = {},
): AdminRoute[] {
  const refuse = (id: string, body: UpstreamInput) => {
    const reason = changes.refuse?.(id, body);
    if (reason) throw new ProblemError(400, reason);
  };
  /** Applies an upstream to the running hub, then keeps it (as written) in the store. */
  const apply = async (id: string, body: UpstreamInput, how: 'add' | 'replace') => {
    const { spec, options } = split(body, id);
    const stored = { ...spec, ...options } as UpstreamConfig;
    const run = splitConfig(stored, changes.resolve);
    const status = await context.hub.upstreams[how](id, run.spec, run.options);
    await context.store.kv.set(KEY_PREFIX + id, JSON.stringify(stored));
    // The other replicas apply it from the store.
    await changes.announce?.({ kind: 'upstream', id, action: 'put' });
    return present(status, 'admin');
  };
  return [
    ...upstreamStatusRoutes(context),
    defineRoute({
      method: 'POST',
      path: '/upstreams/{id}',
      operationId: 'addUpstream',
      summary: 'Adds an upstream, kept in the store; open sessions get its tools (list_changed).',
      tag: 'upstreams',
      params: idParams,
      body: upstreamInputSchema,
      response: upstreamSchema,
      status: 201,
      handle: async ({ params, body }) => {
        if (context.hub.upstreams.list().some((upstream) => upstream.id === params.id)) {
          throw new ProblemError(409, `Upstream "${params.id}" exists; PUT changes it.`);
        }
        refuse(params.id, body);
        return apply(params.id, body, 'add');
      },
    }),
    defineRoute({
      method: 'PUT',
      path: '/upstreams/{id}',
      operationId: 'updateUpstream',
      summary: 'Replaces an upstream’s spec and options, keeping downstream sessions.',
      tag: 'upstreams',
      params: idParams,
      body: upstreamInputSchema,
      response: upstreamSchema,
      handle: async ({ params, body }) => {
        find(context, params.id);
        refuse(params.id, body);
        return apply(params.id, body, 'replace');
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/upstreams/{id}',
      operationId: 'removeUpstream',
      summary: 'Removes an upstream (its tools are withdrawn with list_changed).',
      tag: 'upstreams',
      params: idParams,
      status: 204,
      handle: async ({ params }) => {
        find(context, params.id);
        await context.hub.upstreams.remove(params.id);
        await context.store.kv.delete(KEY_PREFIX + params.id);
        await changes.announce?.({ kind: 'upstream', id: params.id, action: 'removed' });
        return undefined;
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/upstreams/{id}/restart',
      operationId: 'restartUpstream',
      summary: 'Reconnects an upstream (a new process for stdio), keeping downstream sessions.',
      tag: 'upstreams',
      params: idParams,
      response: upstreamSchema,
      handle: async ({ params }) => {
        const current = find(context, params.id);
        const stored = await context.store.kv.get(KEY_PREFIX + params.id);
        const config: UpstreamConfig =
          (stored ? (JSON.parse(stored.value) as UpstreamConfig) : undefined) ??
          changes.configuredUpstream?.(params.id) ??
          ({ ...current.spec, prefix: current.prefix } as UpstreamConfig);
        // Only a stored config holds references; the others are what the hub already runs.
        const { spec, options } = splitConfig(config, stored ? changes.resolve : undefined);
        const status = await context.hub.upstreams.replace(params.id, spec, options);
        return present(status, stored ? 'admin' : 'config');
      },
    }),
  ];
}
