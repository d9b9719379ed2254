// @fedmcp/store/durable-object: the Cloudflare Workers engine of @fedmcp/store. The state lives
// in one Durable Object's SQLite storage (FedmcpStoreObject); createDurableObjectStore is its
// client. Web-standard code (no node: imports).
export type { DurableObjectStoreOptions } from './create-durable-object-store.js';
export { createDurableObjectStore } from './create-durable-object-store.js';
export type {
  DurableObjectNamespace,
  DurableObjectState,
  DurableObjectStorage,
  DurableObjectStub,
  SqlStorage,
} from './durable-object-types.js';
export { FedmcpStoreObject } from './store-object.js';
