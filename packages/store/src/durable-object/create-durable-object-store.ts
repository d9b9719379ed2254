/**
 * The Durable Object engine's client: a {@link Store} whose every operation is a request to one
 * Durable Object (`FedmcpStoreObject`) holding the state in its SQLite storage. Use it inside a
 * Cloudflare Worker; every isolate that opens the same `name` shares the same state.
 */
import { checkWait } from '../check-arguments.js';
import type {
  DeliveredMessage,
  KeyValueStore,
  LeaseStore,
  MessageListener,
  PubSub,
  Store,
  StoreOptions,
  StreamStore,
  Subscription,
} from '../store.js';
import { StoreError, type StoreErrorCode } from '../store-error.js';
import type { DurableObjectNamespace, DurableObjectStub } from './durable-object-types.js';
import type { DurableObjectOperationResponse, PubSubFrame } from './store-object.js';

export interface DurableObjectStoreOptions extends StoreOptions {
  /** The namespace binding of the `FedmcpStoreObject` class (e.g. `env.FEDMCP_STORE`). */
  namespace: DurableObjectNamespace;
  /**
   * Which object holds the state: handles with the same name share it. One object serialises
   * every operation of its store, so give unrelated hubs their own name. @default 'fedmcp'
   */
  name?: string;
}

const ORIGIN = 'https://fedmcp-store.internal';
/** The longest one request of a blocked readGroup waits in the object. */
const BLOCK_SLICE_MS = 1_000;

interface ClientSocket {
  accept(): void;
  send(message: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'close' | 'error', listener: () => void): void;
}

/**
 * Opens a store held by a Durable Object. Nothing is sent until the first operation.
 *
 * @throws {StoreError} `STORE_INVALID_ARGUMENT` when `namespace` is not a Durable Object namespace.
 * @example
 * ```ts
 * import { createDurableObjectStore } from '@fedmcp/store/durable-object';
 * export { FedmcpStoreObject } from '@fedmcp/store/durable-object';
 *
 * export default {
 *   async fetch(request: Request, env: { FEDMCP_STORE: DurableObjectNamespace }) {
 *     const store = createDurableObjectStore({ namespace: env.FEDMCP_STORE });
 *     const visits = await store.kv.increment('visits');
 *     return new Response(String(visits));
 *   },
 * };
 * ```
 */
export function createDurableObjectStore(options: DurableObjectStoreOptions): Store {
  const { namespace } = options;
  if (typeof namespace?.idFromName !== 'function' || typeof namespace.get !== 'function') {
    throw new StoreError(
      'STORE_INVALID_ARGUMENT',
      'namespace must be the Durable Object namespace binding of FedmcpStoreObject (e.g. env.FEDMCP_STORE); declare the binding in wrangler.toml.',
    );
  }
  const prefix = options.prefix ?? '';
  const logger = options.logger;
  // A stub is an I/O object of the request that made it (workerd refuses it in another
  // request), so every operation takes a new one; the id is plain data and is kept.
  let id: unknown;
  const object = (): DurableObjectStub => {
    id ??= namespace.idFromName(options.name ?? 'fedmcp');
    return namespace.get(id);
  };
  let closed = false;
  const closedError = () =>
    new StoreError('STORE_CLOSED', 'The store is closed; create a new one.');
  const call = async <T>(operation: string, ...args: unknown[]): Promise<T> => {
    if (closed) throw closedError();
    const request = (async () => {
      let response: Response;
      try {
        response = await object().fetch(`${ORIGIN}/op`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ prefix, operation, args }),
        });
      } catch (error) {
        throw new StoreError(
          'STORE_UNAVAILABLE',
          `The store's Durable Object did not answer (${(error as Error)?.message}); retry the operation.`,
          { cause: error },
        );
      }
      const body = (await response.json().catch(() => undefined)) as
        | DurableObjectOperationResponse
        | undefined;
      if (!body) {
        throw new StoreError(
          'STORE_FAILED',
          `The store's Durable Object answered HTTP ${response.status} without a result; check that the binding points at FedmcpStoreObject.`,
        );
      }
      if (!body.ok) throw new StoreError(body.error.code as StoreErrorCode, body.error.message);
      return (body.result ?? undefined) as T;
    })();
    // A promise settled from another request is refused by workerd, so close() cannot cut an
    // operation short; an answer that arrives after close() is dropped instead.
    const result = await request;
    if (closed) throw closedError();
    return result;
  };

  const kv: KeyValueStore = {
    get: (key) => call('kv.get', key),
    set: (key, value, setOptions = {}) => call('kv.set', key, value, setOptions),
    compareAndSet: (key, value, casOptions) => call('kv.compareAndSet', key, value, casOptions),
    delete: (key, deleteOptions = {}) => call('kv.delete', key, deleteOptions),
    increment: (key, incrementOptions = {}) => call('kv.increment', key, incrementOptions),
    list: (listOptions = {}) => call('kv.list', listOptions),
  };
  const streams: StreamStore = {
    append: (stream, data) => call('streams.append', stream, data),
    read: (stream, readOptions = {}) => call('streams.read', stream, readOptions),
    length: (stream) => call('streams.length', stream),
    trim: (stream, trimOptions) => call('streams.trim', stream, trimOptions),
    delete: (stream) => call('streams.delete', stream),
    createGroup: (stream, group, groupOptions = {}) =>
      call('streams.createGroup', stream, group, groupOptions),
    readGroup: async (stream, group, consumer, readOptions = {}) => {
      // A long wait is cut into slices so that close() ends it: a close in another request
      // cannot interrupt this request's I/O in workerd, but it is seen between two slices.
      const deadline = Date.now() + checkWait('blockMs', readOptions.blockMs);
      for (;;) {
        const blockMs = Math.max(0, Math.min(deadline - Date.now(), BLOCK_SLICE_MS));
        const delivered = await call<DeliveredMessage[]>(
          'streams.readGroup',
          stream,
          group,
          consumer,
          {
            ...readOptions,
            blockMs,
          },
        );
        if (delivered.length > 0 || Date.now() >= deadline) return delivered;
      }
    },
    ack: (stream, group, ids) => call('streams.ack', stream, group, [...ids]),
    claim: (stream, group, consumer, claimOptions) =>
      call('streams.claim', stream, group, consumer, {
        ...claimOptions,
        // JSON cannot carry Infinity; the object reads null as "never dead-letter".
        maxDeliveries:
          claimOptions.maxDeliveries === undefined ||
          claimOptions.maxDeliveries === Number.POSITIVE_INFINITY
            ? null
            : claimOptions.maxDeliveries,
      }),
    pending: (stream, group, pendingOptions = {}) =>
      call('streams.pending', stream, group, pendingOptions),
  };
  const leases: LeaseStore = {
    acquire: (name, acquireOptions) => call('leases.acquire', name, acquireOptions),
    renew: (lease, renewOptions) => call('leases.renew', lease, renewOptions),
    release: (lease) => call('leases.release', lease),
    get: (name) => call('leases.get', name),
  };

  // Pub/sub: one WebSocket to the object per subscription. Like a stub, a WebSocket belongs to
  // the request that opened it: its listener runs in that request's context, and a subscription
  // lives as long as that request does (a Worker's `fetch`, or a Durable Object).
  const sockets = new Set<ClientSocket>();
  const openSocket = async (channel: string, listener: MessageListener): Promise<ClientSocket> => {
    const response = await object().fetch(`${ORIGIN}/pubsub`, {
      headers: { upgrade: 'websocket' },
    });
    const webSocket = (response as Response & { webSocket?: ClientSocket | null }).webSocket;
    if (!webSocket) {
      throw new StoreError(
        'STORE_UNAVAILABLE',
        `The store's Durable Object refused the pub/sub WebSocket (HTTP ${response.status}); retry the subscription.`,
      );
    }
    webSocket.accept();
    const subscribed = new Promise<void>((resolve, reject) => {
      webSocket.addEventListener('message', (event) => {
        let frame: PubSubFrame;
        try {
          frame = JSON.parse(String(event.data)) as PubSubFrame;
        } catch {
          return;
        }
        if (frame.type === 'subscribed') resolve();
        else if (frame.type === 'message' && frame.channel === channel && sockets.has(webSocket)) {
          try {
            listener(frame.message, frame.channel.slice(prefix.length));
          } catch (error) {
            logger?.error({ error, channel }, 'store: a subscriber threw');
          }
        }
      });
      webSocket.addEventListener('close', () => {
        reject(
          new StoreError(
            'STORE_UNAVAILABLE',
            'The pub/sub WebSocket to the Durable Object closed before the subscription was confirmed; subscribe again.',
          ),
        );
        if (sockets.delete(webSocket) && !closed) {
          logger?.warn({ channel }, 'store: a pub/sub subscription to the Durable Object ended');
        }
      });
    });
    sockets.add(webSocket);
    webSocket.send(JSON.stringify({ type: 'subscribe', channel, id: 1 } satisfies PubSubFrame));
    try {
      await subscribed;
    } catch (error) {
      sockets.delete(webSocket);
      throw error;
    }
    return webSocket;
  };
  const closeSocket = (webSocket: ClientSocket): void => {
    // Stops delivery at once; the close itself fails when called from another request than the
    // one that opened the socket, and then workerd closes it when that request ends.
    sockets.delete(webSocket);
    try {
      webSocket.close(1000, 'unsubscribed');
    } catch {
      // another request's I/O object, or already closed
    }
  };
  const pubsub: PubSub = {
    publish: (channel, message) => call('pubsub.publish', channel, message),
    subscribe: async (channel, listener) => {
      if (closed) throw closedError();
      const webSocket = await openSocket(prefix + channel, listener);
      const unsubscribe = async (): Promise<void> => closeSocket(webSocket);
      const subscription: Subscription = { unsubscribe, [Symbol.asyncDispose]: unsubscribe };
      return subscription;
    },
  };

  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    for (const webSocket of [...sockets]) closeSocket(webSocket);
  };
  return {
    engine: 'durable-object',
    kv,
    streams,
    pubsub,
    leases,
    close,
    [Symbol.asyncDispose]: close,
  };
}
