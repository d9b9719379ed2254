/**
 * The Durable Object class that holds a store: export it from your worker and bind it (with
 * SQLite storage) as the namespace `createDurableObjectStore` talks to. All handles of a store,
 * in every isolate of every region, reach the same object, so operations are serialised there:
 * compare-and-set, increments, consumer groups and leases are atomic across the whole worker.
 * TTLs are enforced on every read and swept by the object's alarm.
 */
import { StoreError } from '../store-error.js';
import { createDurableObjectEngine, type DurableObjectEngine } from './durable-object-engine.js';
import type { DurableObjectState, HibernatableWebSocket } from './durable-object-types.js';

/** The body of a `POST /op` request. */
export interface DurableObjectOperationRequest {
  prefix: string;
  operation: string;
  args: unknown[];
}

/** The answer to a `POST /op` request. */
export type DurableObjectOperationResponse =
  | { ok: true; result?: unknown }
  | { ok: false; error: { code: string; message: string } };

/** A pub/sub frame over the object's WebSocket, in either direction. */
export type PubSubFrame =
  | { type: 'subscribe'; channel: string; id: number }
  | { type: 'unsubscribe'; channel: string }
  | { type: 'subscribed'; id: number }
  | { type: 'message'; channel: string; message: string };

/** The longest a blocked readGroup waits inside the object before answering `[]`. */
const MAX_BLOCK_MS = 60_000;

const json = (body: DurableObjectOperationResponse, status = 200): Response =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });

const channelsOf = (socket: HibernatableWebSocket): string[] => {
  const attachment = socket.deserializeAttachment() as { channels?: string[] } | null;
  return attachment?.channels ?? [];
};

/**
 * The store's Durable Object. Re-export it from the worker's entry and declare it with SQLite
 * storage (`new_sqlite_classes` in the migrations, or `useSQLite: true` in Miniflare).
 *
 * @example
 * ```ts
 * export { FedmcpStoreObject } from '@fedmcp/store/durable-object';
 * // wrangler.toml: [[durable_objects.bindings]] name = "FEDMCP_STORE", class_name = "FedmcpStoreObject"
 * //                [[migrations]] tag = "v1", new_sqlite_classes = ["FedmcpStoreObject"]
 * ```
 */
export class FedmcpStoreObject {
  readonly #state: DurableObjectState;
  readonly #engine: DurableObjectEngine;
  readonly #appendWaiters = new Set<() => void>();
  #alarmAt: number | null | undefined;

  constructor(state: DurableObjectState, _env?: unknown) {
    this.#state = state;
    this.#engine = createDurableObjectEngine(state.storage);
  }

  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === '/pubsub') return this.#acceptSubscriber(request);
    if (url.pathname === '/stats' && request.method === 'GET') {
      const alarmAt = await this.#state.storage.getAlarm();
      return new Response(JSON.stringify({ ...this.#engine.stats(), alarmAt }), {
        headers: { 'content-type': 'application/json' },
      });
    }
    if (url.pathname !== '/op' || request.method !== 'POST') {
      return new Response('Not found: the store object serves POST /op, GET /stats and /pubsub.', {
        status: 404,
      });
    }
    let body: DurableObjectOperationRequest;
    try {
      body = (await request.json()) as DurableObjectOperationRequest;
      if (typeof body?.prefix !== 'string' || typeof body.operation !== 'string')
        throw new Error('prefix and operation must be strings');
      if (!Array.isArray(body.args)) body.args = [];
    } catch (error) {
      return json(
        {
          ok: false,
          error: {
            code: 'STORE_INVALID_ARGUMENT',
            message: `The store object expects {prefix, operation, args} as JSON: ${(error as Error).message}`,
          },
        },
        400,
      );
    }
    try {
      const result = await this.#run(body);
      return json(result === undefined ? { ok: true } : { ok: true, result });
    } catch (error) {
      const known = StoreError.isInstance(error)
        ? error
        : new StoreError('STORE_FAILED', `The store object failed: ${(error as Error)?.message}`, {
            cause: error,
          });
      return json({ ok: false, error: { code: known.code, message: known.message } });
    }
  }

  /** Deletes expired keys and leases, then sets the alarm for the next expiry. */
  async alarm(): Promise<void> {
    this.#alarmAt = null;
    this.#engine.sweep(Date.now());
    await this.#scheduleAlarm();
  }

  webSocketMessage(socket: HibernatableWebSocket, data: string | ArrayBuffer): void {
    let frame: PubSubFrame;
    try {
      frame = JSON.parse(typeof data === 'string' ? data : new TextDecoder().decode(data));
    } catch {
      socket.close(1003, 'expected JSON pub/sub frames');
      return;
    }
    const channels = new Set(channelsOf(socket));
    if (frame.type === 'subscribe' && typeof frame.channel === 'string') {
      channels.add(frame.channel);
      socket.serializeAttachment({ channels: [...channels] });
      socket.send(JSON.stringify({ type: 'subscribed', id: frame.id } satisfies PubSubFrame));
    } else if (frame.type === 'unsubscribe' && typeof frame.channel === 'string') {
      channels.delete(frame.channel);
      socket.serializeAttachment({ channels: [...channels] });
    }
  }

  webSocketClose(socket: HibernatableWebSocket, code: number): void {
    try {
      socket.close(code === 1005 ? 1000 : code, 'closing');
    } catch {
      // already closed
    }
  }

  #acceptSubscriber(request: Request): Response {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
      return new Response('The pub/sub endpoint of the store object needs a WebSocket upgrade.', {
        status: 426,
      });
    }
    const Pair = (globalThis as unknown as { WebSocketPair: new () => Record<0 | 1, unknown> })
      .WebSocketPair;
    const pair = new Pair();
    this.#state.acceptWebSocket(pair[1]);
    (pair[1] as HibernatableWebSocket).serializeAttachment({ channels: [] });
    return new Response(null, { status: 101, webSocket: pair[0] } as ResponseInit);
  }

  async #run({ prefix, operation, args }: DurableObjectOperationRequest): Promise<unknown> {
    if (operation === 'pubsub.publish') {
      const [channel, message] = args;
      if (typeof channel !== 'string' || typeof message !== 'string')
        throw new StoreError('STORE_INVALID_ARGUMENT', 'channel and message must be strings.');
      const frame = JSON.stringify({
        type: 'message',
        channel: prefix + channel,
        message,
      } satisfies PubSubFrame);
      for (const socket of this.#state.getWebSockets()) {
        if (!channelsOf(socket).includes(prefix + channel)) continue;
        try {
          socket.send(frame);
        } catch {
          // a subscriber that went away; workerd closes it
        }
      }
      return undefined;
    }
    if (operation === 'streams.readGroup') return this.#readGroup(prefix, args);
    const result = this.#engine.execute(prefix, operation, args);
    if (operation === 'streams.append' || operation === 'streams.claim') this.#wakeReaders();
    if (
      operation === 'kv.set' ||
      operation === 'kv.compareAndSet' ||
      operation === 'kv.increment' ||
      operation === 'leases.acquire' ||
      operation === 'leases.renew'
    ) {
      await this.#scheduleAlarm();
    }
    return result;
  }

  /** A readGroup that waits up to `blockMs` for an append (every append passes this object). */
  async #readGroup(prefix: string, args: unknown[]): Promise<unknown> {
    const [stream, group, , options] = args;
    const blockMs = (options as { blockMs?: unknown } | undefined)?.blockMs;
    if (blockMs !== undefined && (typeof blockMs !== 'number' || !(blockMs >= 0))) {
      throw new StoreError(
        'STORE_INVALID_ARGUMENT',
        'blockMs must be a non-negative number of milliseconds.',
      );
    }
    const deadline = Date.now() + Math.min(blockMs ?? 0, MAX_BLOCK_MS);
    for (;;) {
      const delivered = this.#engine.execute(prefix, 'streams.readGroup', args) as unknown[];
      if (delivered.length > 0 || Date.now() >= deadline) return delivered;
      while (!this.#engine.hasUndelivered(prefix, String(stream), String(group))) {
        const remaining = deadline - Date.now();
        if (remaining <= 0) return [];
        await new Promise<void>((resolve) => {
          const wake = (): void => {
            clearTimeout(timer);
            this.#appendWaiters.delete(wake);
            resolve();
          };
          const timer = setTimeout(wake, remaining);
          this.#appendWaiters.add(wake);
        });
      }
    }
  }

  #wakeReaders(): void {
    for (const wake of [...this.#appendWaiters]) wake();
  }

  async #scheduleAlarm(): Promise<void> {
    const next = this.#engine.nextExpiry();
    if (next === undefined) return;
    this.#alarmAt ??= await this.#state.storage.getAlarm();
    if (this.#alarmAt !== null && this.#alarmAt <= next) return;
    this.#alarmAt = next;
    await this.#state.storage.setAlarm(next);
  }
}
