/**
 * The hub inside a Cloudflare Durable Object, for what workerd refuses a plain worker: a call that
 * spans requests. An elicitation (or a sampling / roots request) from an upstream pauses the
 * call; its answer arrives in another request (the 2026-07-28 client's `input_required` retry,
 * the 2025-11-25 client's POST of the response) and must resume the upstream exchange opened by
 * the first one. In a plain worker each request has its own I/O context and workerd refuses
 * ("Cannot perform I/O on behalf of a different request"); an object's requests share the
 * object's context, so streams and promises made while serving one request may be used by the
 * next. The worker forwards the hub's traffic to one object (by name), which holds the hub.
 *
 * The object's memory holds the paused calls and the 2025-era sessions; durable state (keys,
 * audit, consents, used peer-token ids) stays in the store the hub is built with (the Durable
 * Object store engine), so an object that is evicted or restarted keeps it. Its requests run
 * concurrently (an object serialises only its own storage operations, which the hub does not use).
 * One object is single-threaded: `forwardToHubObject(request, ns, { shards: N })` spreads a hub
 * over N objects, each request reaching the one that holds what it needs (`hub-shards.ts`).
 */
import { JsonRpcErrorCode } from '@fedmcp/transports';
import type { HubHandler } from './create-hub-handler.js';
import { forwardToHubShards, hubObjectNames } from './hub-shards.js';
import { jsonRpcErrorResponse } from './responses.js';

/** A Durable Object namespace binding (`env.FEDMCP_HUB`), as far as the hub uses it. */
export interface HubObjectNamespace {
  idFromName(name: string): unknown;
  get(id: unknown): { fetch(request: Request): Promise<Response> };
}

/** The Durable Object class {@link defineHubObject} returns (export it from the worker module). */
export interface HubObjectClass<Env> {
  new (
    state: unknown,
    env: Env,
  ): {
    fetch(request: Request): Promise<Response>;
  };
}

/** Which object a hub is built in. */
export interface HubObjectInfo {
  /**
   * The object's name (`hub`, or `hub-2` of a hub spread over shards), when the runtime tells it
   * (workerd: `state.id.name` of an object got by name). Give it to the hub as its
   * `flowForwarding.replicaId`, so its interactive calls name their holder.
   */
  readonly name: string | undefined;
}

/**
 * Builds the hub's fetch handler inside the object: the same code that builds it in a worker
 * (`createHub` + `createHubHandler`), given the object's `env`, `state` and name.
 */
export type BuildHubHandler<Env> = (
  env: Env,
  state: unknown,
  object: HubObjectInfo,
) => Promise<HubHandler>;

/**
 * Defines the Durable Object class that serves a hub: its `fetch` builds the hub once (on the
 * first request; a failed build is retried on the next) and serves every request with it. Bind
 * the class in the worker's configuration (`durable_objects.bindings`, `new_sqlite_classes` or
 * `new_classes` in a migration) and forward requests with {@link forwardToHubObject}.
 *
 * @example
 * ```ts
 * export const FedmcpHubObject = defineHubObject<Env>(async (env) =>
 *   createHubHandler(createHub({ connect: connectEdgeUpstream, upstreams: { docs: { url: env.DOCS_URL } } })),
 * );
 * export default { fetch: (request: Request, env: Env) => forwardToHubObject(request, env.FEDMCP_HUB) };
 * ```
 */
export function defineHubObject<Env>(build: BuildHubHandler<Env>): HubObjectClass<Env> {
  return class HubObject {
    readonly #state: unknown;
    readonly #env: Env;
    #handler: Promise<HubHandler> | undefined;

    constructor(state: unknown, env: Env) {
      this.#state = state;
      this.#env = env;
    }

    async fetch(request: Request): Promise<Response> {
      this.#handler ??= build(this.#env, this.#state, { name: objectName(this.#state) });
      let handler: HubHandler;
      try {
        handler = await this.#handler;
      } catch (error) {
        this.#handler = undefined; // the next request tries again
        const reason = error instanceof Error ? error.message : String(error);
        return jsonRpcErrorResponse(
          503,
          JsonRpcErrorCode.transportError,
          `The hub could not start: ${reason}. Fix the hub's configuration or bindings; the next request retries.`,
        );
      }
      return handler(request);
    }
  };
}

/** The name of the object whose `state` this is, when the runtime gives ids their name. */
function objectName(state: unknown): string | undefined {
  const name = (state as { id?: { name?: unknown } } | null)?.id?.name;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

/** Options of {@link forwardToHubObject}. */
export interface ForwardToHubObjectOptions {
  /**
   * The name of the object that serves the hub (with `shards`, the prefix of the objects'
   * names: `hub-0` … `hub-<N-1>`). @default 'hub'
   */
  name?: string;
  /**
   * How many objects serve the hub. With more than one, every request that belongs to a paused
   * call or a 2025-era session reaches the object holding it and the others spread over all
   * (`hub-shards.ts`): session ids are returned as `<shard>.<id>`, and each object's hub must
   * name its calls after it (`flowForwarding: { pubsub: store.pubsub, replicaId: object.name }`)
   * and share one `requestStateKey` with the others. @default 1 (one object, requests unchanged)
   */
  shards?: number;
  /** With `shards`, the largest POST body the front reads to route a retry, in bytes. @default 4 MiB */
  maxBodyBytes?: number;
}

/**
 * The worker's `fetch`: passes the request, unchanged (its URL, headers and body stream), to the
 * hub's Durable Object and answers what the object answers (streams included). With `shards`,
 * to the object that must serve it (the session id carries its shard).
 * @throws RangeError when `shards` is not an integer from 1 to 1024.
 */
export function forwardToHubObject(
  request: Request,
  namespace: HubObjectNamespace,
  options: ForwardToHubObjectOptions = {},
): Promise<Response> {
  const names = hubObjectNames(options.name ?? 'hub', options.shards ?? 1);
  if (names.length === 1) return namespace.get(namespace.idFromName(names[0]!)).fetch(request);
  return forwardToHubShards(request, namespace, {
    names,
    maxBodyBytes: options.maxBodyBytes ?? 4 * 1024 * 1024,
  });
}
