/**
 * The upstream registry of a hub (`Hub.upstreams`): add, remove, replace and reconcile
 * upstreams at run time, keeping downstream sessions; a name collision refuses the newcomer.
 */
import { canonicalJson, type FedmcpError } from '@fedmcp/protocol';
import { hubError } from './errors.js';
import type {
  UpstreamConfig,
  UpstreamRegistry,
  UpstreamStatus,
  UpstreamSyncResult,
} from './hub-options.js';
import type { HubServices } from './services/hub-services.js';
import type { Upstream } from './upstream.js';
import type { UpstreamOptions, UpstreamSpec } from './upstream-options.js';

/** The keys of an upstream entry that say how to treat it (the rest says where it lives). */
const OPTION_KEYS = [
  'prefix',
  'isolation',
  'maxConnections',
  'timeoutMs',
  'failureMode',
  'tools',
  'requiresClientCapabilities',
  'exposure',
  'credentials',
] as const satisfies ReadonlyArray<keyof UpstreamOptions>;

/** Splits an upstream entry into where it lives and how to treat it. */
export function splitConfig(config: UpstreamConfig): {
  spec: UpstreamSpec;
  options: UpstreamOptions;
} {
  const spec: Record<string, unknown> = { ...config };
  const options: Record<string, unknown> = {};
  for (const key of OPTION_KEYS) {
    if (spec[key] !== undefined) options[key] = spec[key];
    delete spec[key];
  }
  return { spec: spec as UpstreamSpec, options: options as UpstreamOptions };
}

function statusOf(upstream: Upstream): UpstreamStatus {
  const result: UpstreamStatus = {
    id: upstream.id,
    state: upstream.state,
    spec: upstream.spec,
    prefix: upstream.prefix,
    era: upstream.era,
    connections: upstream.connections.length,
    tools: upstream.available ? upstream.tools.length : 0,
  };
  if (upstream.lastError) result.error = upstream.lastError;
  return result;
}

/** The registry API over a hub's services, plus what `createHub` needs to start. */
export interface HubUpstreamRegistry extends UpstreamRegistry {
  /** Registers an upstream without connecting it (the configured ones, before `start`). */
  register(id: string, spec: UpstreamSpec, options?: UpstreamOptions): Upstream;
  /** The collision error of an upstream, if it collides. */
  collisionError(id: string): FedmcpError | undefined;
}

/** Creates the registry of a hub. */
export function createUpstreamRegistry(services: HubServices): HubUpstreamRegistry {
  const { upstreams: set, catalog, events } = services;
  const collisionError = (id: string): FedmcpError | undefined => {
    const collision = catalog.current.collisions.find((entry) => entry.upstreams.includes(id));
    if (!collision) return undefined;
    const [first, second] = collision.upstreams;
    return hubError(
      'INVALID_CONFIG',
      `Upstreams "${first}" and "${second}" both expose the ${collision.kind} "${collision.name}"; give one of them a prefix.`,
      { ...collision },
    );
  };

  /** The config each registered upstream was added with, as canonical JSON (for `sync`). */
  const appliedConfigs = new Map<string, string>();
  const configKey = (spec: UpstreamSpec, upstreamOptions: UpstreamOptions = {}) =>
    canonicalJson({
      ...spec,
      ...upstreamOptions,
      // A function compares by the key it carries (see `UpstreamCredentials`).
      credentials: upstreamOptions.credentials && (upstreamOptions.credentials.key ?? 'function'),
    });
  const register = (id: string, spec: UpstreamSpec, upstreamOptions: UpstreamOptions = {}) => {
    const upstream = set.register(id, spec, upstreamOptions, events);
    appliedConfigs.set(id, configKey(spec, upstreamOptions));
    return upstream;
  };
  const remove = async (id: string): Promise<void> => {
    const upstream = set.delete(id);
    if (!upstream) return;
    appliedConfigs.delete(id);
    await upstream.close();
    catalog.rebuild();
  };

  const upstreams: HubUpstreamRegistry = {
    register,
    collisionError,
    async add(id, spec, upstreamOptions) {
      const upstream = register(id, spec, upstreamOptions);
      await upstream.start();
      await catalog.reviewsSettled();
      const collision = collisionError(id);
      if (collision) {
        await remove(id);
        throw collision;
      }
      return statusOf(upstream);
    },
    remove,
    async replace(id, spec, upstreamOptions) {
      await remove(id);
      return upstreams.add(id, spec, upstreamOptions);
    },
    list: () => set.list().map(statusOf),
    async sync(desired) {
      const result: UpstreamSyncResult = { added: [], removed: [], changed: [] };
      for (const id of set.ids()) {
        if (desired[id] !== undefined) continue;
        await remove(id);
        result.removed.push(id);
      }
      for (const [id, config] of Object.entries(desired)) {
        const { spec, options: upstreamOptions } = splitConfig(config);
        const applied = appliedConfigs.get(id);
        if (applied === undefined) {
          await upstreams.add(id, spec, upstreamOptions);
          result.added.push(id);
        } else if (applied !== configKey(spec, upstreamOptions)) {
          await upstreams.replace(id, spec, upstreamOptions);
          result.changed.push(id);
        }
      }
      return result;
    },
  };

  return upstreams;
}
