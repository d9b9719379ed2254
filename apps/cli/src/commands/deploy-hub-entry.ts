/**
 * The hub that `fedmcp deploy cloudflare|supabase` bundles from the user's config: its HTTP(S)
 * upstreams, peers, `auth` and `policy`, baked in by the CLI as `__FEDMCP_DEPLOY__` with every
 * `${NAME}` / `${secret:NAME}` reference left in place. The references are resolved here, at
 * start, from the platform's environment: the Worker's bindings (the CLI uploads each as a
 * `secret_text` binding) or the Supabase function's secrets (`Deno.env`). Secret values are never
 * part of the bundle.
 *
 * Cloudflare: the hub runs in the Durable Object `FedmcpHubObject` (`FEDMCP_HUB`), its state
 * (signing key, audit, used peer-token ids) in `FedmcpStoreObject` (`FEDMCP_STORE`). Supabase
 * (Deno, `deploy-hub-function.ts`): one hub per isolate, state in the config's PostgreSQL store
 * or in memory; the function's `/<slug>` prefix is stripped.
 * No `node:` imports.
 */
import {
  connectEdgeUpstream,
  createConsentStep,
  createHub,
  createHubHandler,
  createHubIdentity,
  createPeerConnector,
  createPolicyAccess,
  createToolPinning,
  defineHubObject,
  forwardToHubObject,
  type HubHandler,
  type HubObjectNamespace,
  type HubTaskOptions,
  type PeersOptions,
  type PinFile,
  peerUpstreams,
  type UpstreamConfig,
} from '@fedmcp/federation';
import { FEDMCP_VERSION } from '@fedmcp/protocol';
import {
  type AuthConfigInput,
  authenticateRequest,
  buildProtectedResourceMetadata,
  createAuditLog,
  createAuthenticators,
  createConsentLedger,
  createPolicy,
  createRateLimiter,
  createStreamAuditSink,
  generateHubKey,
  type PolicyRule,
  parseAuthConfig,
  protectedResourceMetadataUrl,
  type StoredHubKey,
} from '@fedmcp/proxy-auth';
import { createMemoryStore, type Store } from '@fedmcp/store';
import {
  createDurableObjectStore,
  type DurableObjectNamespace,
} from '@fedmcp/store/durable-object';
import { createEdgeAdminRoutes } from './deploy-hub-admin.js';
import { type FrontDoorDefinition, withFrontDoor } from './deploy-hub-front.js';
import { createEdgeUpstreamAuth, type UpstreamAuthDefinition } from './deploy-hub-oauth.js';
import { type ShardsDefinition, shardCountOf, shardHubOptions } from './deploy-hub-shards.js';
import { startEdgeUpstreams } from './deploy-hub-upstreams.js';
import { type ViewsDefinition, viewsHubOptions } from './deploy-hub-views.js';

export { FedmcpStoreObject } from '@fedmcp/store/durable-object';

/** What the CLI bakes into the bundle (references unresolved). */
export interface DeployDefinition extends UpstreamAuthDefinition, ShardsDefinition {
  hubId: string;
  name?: string;
  upstreams: Record<string, UpstreamConfig>;
  peers?: PeersOptions;
  auth?: AuthConfigInput;
  policy?: PolicyRule[];
  /** The hub's public MCP URL (`hub.url`): the default token audience. */
  resource?: string;
  /** Supabase: the function's slug, whose `/<slug>` prefix the function sees. */
  slug?: string;
  /** Supabase: the config's `postgres://` store (opened with the engine of {@link useStoreEngine}). */
  store?: string;
  /** `consent`: the periods offered and whether grants bind the arguments. */
  consent?: { periods?: string[]; bindArguments?: boolean };
  /** `pinning`, with the pin file's content (read by the CLI) in place of its path. */
  pinning?: {
    enabled: boolean;
    newItems: 'trust' | 'hold';
    onQuarantined: 'hide' | 'warn';
    pinFile?: PinFile;
  };
  /** `hub.tasks` (the records live in the hub's store). */
  tasks?: Omit<HubTaskOptions, 'store'>;
  /** `hub.allowedHosts`, `hub.cors`, `hub.allowedOrigins`. */
  front?: FrontDoorDefinition;
  /** `views`, each served at `/mcp/<view>` (deploy-hub-views.ts). */
  views?: ViewsDefinition['views'];
  /** `hub.instructions`, `hub.maxInstructionsChars`, `hub.pageSize`, `hub.maxHops`. */
  hub?: {
    instructions?: string;
    maxInstructionsChars?: number;
    pageSize?: number;
    maxHops?: number;
  };
}

let storeEngine: ((url: string) => Promise<Store>) | undefined;

/** Sets how a `store` URL of the definition is opened (the Supabase entry: PostgreSQL). */
export function useStoreEngine(open: (url: string) => Promise<Store>): void {
  storeEngine = open;
}

declare const __FEDMCP_DEPLOY__: DeployDefinition;
declare const Deno: { env: { get(name: string): string | undefined } } | undefined;

interface Env {
  FEDMCP_STORE?: DurableObjectNamespace;
  FEDMCP_HUB?: HubObjectNamespace;
  [binding: string]: unknown;
}

const REFERENCE = /\$(\$)?\{(?:secret:)?([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Replaces `${NAME}`, `${secret:NAME}` and `${NAME:-fallback}` in every string of `value`. */
function resolveReferences<T>(value: T, lookup: (name: string) => string | undefined): T {
  const missing = new Set<string>();
  const visit = (node: unknown): unknown => {
    if (typeof node === 'string')
      return node.replace(REFERENCE, (whole, escaped, name: string, fallback?: string) => {
        if (escaped) return whole.slice(1);
        const found = lookup(name) ?? fallback;
        if (found === undefined) missing.add(name);
        return found ?? '';
      });
    if (Array.isArray(node)) return node.map(visit);
    if (node !== null && typeof node === 'object')
      return Object.fromEntries(Object.entries(node).map(([key, item]) => [key, visit(item)]));
    return node;
  };
  const resolved = visit(value) as T;
  if (missing.size > 0)
    throw new Error(
      `the config refers to ${[...missing].join(', ')}, which the platform does not provide: deploy again with them in the environment (fedmcp deploy uploads them as secrets)`,
    );
  return resolved;
}

/**
 * Where 401 challenges point for the Protected Resource Metadata. Supabase routes only
 * `/functions/v1/<slug>/…` to the function, not the origin's `/.well-known/`: there the challenge
 * names the document under the function's own path, where the function serves it.
 */
function metadataUrlOf(resource: string, slug: string | undefined): string {
  const standard = protectedResourceMetadataUrl(resource);
  const url = new URL(resource);
  const at = slug === undefined ? -1 : url.pathname.indexOf(`/${slug}/`);
  if (slug === undefined || at < 0) return standard;
  const base = url.pathname.slice(0, at + slug.length + 1);
  return `${url.origin}${base}${new URL(standard).pathname}`;
}

async function storedIdentity(store: Store) {
  let stored = await store.kv.get('identity');
  if (!stored) {
    const fresh = JSON.stringify([await generateHubKey()]);
    const created = await store.kv.compareAndSet('identity', fresh, { expectedVersion: null });
    stored = created.ok ? created.entry : created.current;
  }
  return createHubIdentity({ keys: JSON.parse(stored?.value ?? '[]') as StoredHubKey[] });
}

async function build(
  env: Env | undefined,
  _state?: unknown,
  object?: { name: string | undefined },
): Promise<HubHandler> {
  const lookup = (name: string): string | undefined => {
    const bound = env?.[name];
    if (typeof bound === 'string') return bound;
    return typeof Deno === 'undefined' ? undefined : Deno.env.get(name);
  };
  const definition = resolveReferences(__FEDMCP_DEPLOY__, lookup);
  const { hubId } = definition;
  const store: Store = env?.FEDMCP_STORE
    ? createDurableObjectStore({ namespace: env.FEDMCP_STORE, prefix: `${hubId}:` })
    : definition.store !== undefined && storeEngine
      ? await storeEngine(definition.store)
      : createMemoryStore();
  const identity = await storedIdentity(store);
  const peers = definition.peers ?? {};
  const audit = createAuditLog({ sinks: [createStreamAuditSink(store.streams)] });
  const { pinning: pins, consent } = definition;
  // As the Node hub: a tool or prompt that changes after it was trusted is held for review.
  const pinning =
    pins === undefined || pins.enabled
      ? createToolPinning({
          kv: store.kv,
          pubsub: store.pubsub,
          audit,
          newItems: pins?.newItems ?? 'trust',
          onQuarantined: pins?.onQuarantined ?? 'hide',
          ...(pins?.pinFile ? { pinFile: pins.pinFile } : {}),
        })
      : undefined;
  // Upstreams' `oauth` and `tokenExchange` (deploy-hub-oauth.ts).
  const upstreamAuth = createEdgeUpstreamAuth(definition, {
    store,
    // Several hub objects (`hub.shards`): the callback may reach another object than the call.
    pubsub: !env?.FEDMCP_STORE || shardCountOf(definition) > 1,
    audit,
    ...(definition.resource === undefined ? {} : { resource: definition.resource }),
    ...(definition.slug === undefined ? {} : { slug: definition.slug }),
    ...(definition.name === undefined ? {} : { name: definition.name }),
  });
  const hub = createHub({
    hubId,
    serverInfo: { name: definition.name ?? 'fedmcp', version: FEDMCP_VERSION },
    ...definition.hub,
    ...upstreamAuth.hubOptions,
    connect: createPeerConnector({
      base: upstreamAuth.connector(connectEdgeUpstream),
      peers: () => peers,
      hubId: () => hubId,
      keyring: () => identity.keyring(),
    }),
    upstreams: { ...definition.upstreams, ...peerUpstreams(peers) },
    tasks: { ...definition.tasks, store },
    // `hub.shards`: this object's calls name it; one requestState key for all (deploy-hub-shards.ts).
    ...(await shardHubOptions(definition, store, object)),
    ...viewsHubOptions(definition),
    ...(pinning ? { catalogGuard: pinning } : {}),
    // Always, as on Node: without rules everything is allowed, and every call is still audited
    // (the call log and `type=call` events of the admin API).
    access: createPolicyAccess({
      policy: createPolicy(definition.policy ?? []),
      audit,
      // The rules' rate limits count in the store, as on Node.
      rateLimiter: createRateLimiter({ store: store.kv }),
      // Grants and denials in the store: they outlive the isolate.
      consent: createConsentStep({
        ledger: createConsentLedger({ kv: store.kv, audit }),
        ...(consent?.periods ? { periodOptions: consent.periods } : {}),
        ...(consent?.bindArguments ? { bindArguments: true } : {}),
      }),
    }),
  });
  // Upstreams added through the admin API, kept in the store: applied here, and heard from others.
  const edgeUpstreams = await startEdgeUpstreams({
    hub,
    store,
    lookup,
    upstreams: definition.upstreams,
  });
  const auth = parseAuthConfig(definition.auth ?? {});
  let authenticators: ReturnType<typeof createAuthenticators> | undefined;
  const resourceOf = (request: Request) => definition.resource ?? new URL('/mcp', request.url).href;
  const authenticatorsOf = (request: Request) => {
    authenticators ??= createAuthenticators(auth, { resource: resourceOf(request) });
    return authenticators;
  };
  // RFC 9728: served when an authorization server is configured, and named in 401 challenges.
  const metadataOf = (request: Request) => {
    const { authorizationServers, scopesSupported } = authenticatorsOf(request);
    if (authorizationServers.length === 0) return undefined;
    return buildProtectedResourceMetadata({
      resource: resourceOf(request),
      authorizationServers,
      ...(scopesSupported.length > 0 ? { scopesSupported } : {}),
      ...(definition.name === undefined ? {} : { resourceName: definition.name }),
    });
  };
  const hasAuthentication = auth.oauth !== undefined || (auth.apiKeys?.length ?? 0) > 0;
  const authenticate = hasAuthentication
    ? (request: Request) => {
        const configured = authenticatorsOf(request);
        const withMetadata = configured.authorizationServers.length > 0;
        return authenticateRequest({ headers: request.headers }, configured.authenticators, {
          allowAnonymous: auth.anonymous === true,
          ...(withMetadata
            ? { resourceMetadataUrl: metadataUrlOf(resourceOf(request), definition.slug) }
            : {}),
          ...(configured.scopesSupported.length > 0 ? { scope: configured.scopesSupported } : {}),
        });
      }
    : undefined;
  const handler = await createHubHandler(hub, {
    hubId,
    ...(definition.name === undefined ? {} : { name: definition.name }),
    identity,
    peers,
    replayStore: store.kv,
    audit,
    ...(authenticate ? { authenticate } : {}),
    sessionOwner: (principal) => (principal as { subject?: string } | undefined)?.subject,
    // `/admin/v1`, `/api/v1/tools/{name}:call` and `/ui` (deploy-hub-admin.ts).
    routes: createEdgeAdminRoutes({
      ...definition,
      hub,
      store,
      audit,
      identity,
      peers,
      pinning,
      authenticate,
      ...(upstreamAuth.withOAuth ? { upstreamOAuth: upstreamAuth } : {}),
      upstreamChanges: edgeUpstreams.changes,
    }),
  });
  const front = withFrontDoor(upstreamAuth.withRoutes(handler), {
    ...definition.front,
    metadata: metadataOf,
  });
  return Object.assign(front, {
    fetch: front,
    close: async () => {
      try {
        await handler.close();
      } finally {
        await edgeUpstreams.close(); // never throws
        await pinning?.close();
      }
    },
  });
}

export const FedmcpHubObject = defineHubObject<Env | undefined>(build);

let handler: Promise<HubHandler> | undefined;

/** Deno (Supabase): the function sees `/<slug>/…`; the hub serves `/mcp`, `/.well-known/…`. */
function withoutSlug(request: Request): Request {
  const slug = __FEDMCP_DEPLOY__.slug;
  const url = new URL(request.url);
  if (slug === undefined || !url.pathname.startsWith(`/${slug}`)) return request;
  url.pathname = url.pathname.slice(slug.length + 1) || '/';
  return new Request(url, request);
}

export default {
  async fetch(request: Request, env?: Env): Promise<Response> {
    if (env?.FEDMCP_HUB) {
      return forwardToHubObject(request, env.FEDMCP_HUB, {
        shards: shardCountOf(__FEDMCP_DEPLOY__),
      });
    }
    handler ??= build(env);
    let hub: HubHandler;
    try {
      hub = await handler;
    } catch (error) {
      handler = undefined; // the next request tries again
      const reason = error instanceof Error ? error.message : String(error);
      return Response.json(
        { error: 'hub_unavailable', message: `The hub could not start: ${reason}` },
        { status: 503 },
      );
    }
    return hub(withoutSlug(request));
  },
};
