/**
 * The parts of the Cloudflare Workers runtime API that the Durable Object engine uses, declared
 * here so that the package needs neither `@cloudflare/workers-types` nor `cloudflare:workers`
 * (the engine is typechecked and bundled anywhere; it runs in workerd).
 */

/** A cursor returned by `SqlStorage.exec`. */
export interface SqlStorageCursor<Row> extends Iterable<Row> {
  toArray(): Row[];
  /** Rows written by the statement (inserted, updated or deleted). */
  readonly rowsWritten: number;
}

/** `ctx.storage.sql` of a SQLite-backed Durable Object. */
export interface SqlStorage {
  exec<Row = Record<string, unknown>>(query: string, ...bindings: unknown[]): SqlStorageCursor<Row>;
}

/** `ctx.storage` of a SQLite-backed Durable Object (the subset the engine uses). */
export interface DurableObjectStorage {
  readonly sql: SqlStorage;
  transactionSync<T>(closure: () => T): T;
  getAlarm(): Promise<number | null>;
  setAlarm(scheduledTime: number | Date): Promise<void>;
  deleteAlarm(): Promise<void>;
}

/** A WebSocket as workerd hands it to a Durable Object (hibernation API). */
export interface HibernatableWebSocket {
  send(message: string): void;
  close(code?: number, reason?: string): void;
  serializeAttachment(value: unknown): void;
  deserializeAttachment(): unknown;
}

/** The `ctx` (state) a Durable Object class receives. */
export interface DurableObjectState {
  readonly storage: DurableObjectStorage;
  acceptWebSocket(socket: unknown, tags?: string[]): void;
  getWebSockets(tag?: string): HibernatableWebSocket[];
  blockConcurrencyWhile<T>(callback: () => Promise<T>): Promise<T>;
}

/** A stub of one Durable Object: `fetch` reaches its `fetch` handler. */
export interface DurableObjectStub {
  fetch(input: string | Request, init?: RequestInit): Promise<Response>;
}

/** A Durable Object namespace binding (`env.FEDMCP_STORE`). */
export interface DurableObjectNamespace {
  idFromName(name: string): unknown;
  get(id: unknown): DurableObjectStub;
}
