// @fedmcp/store: key/value, streams, pub/sub and leases behind one interface. The root is
// web-standard (memory engine and types); the SQLite and Redis engines live in `@fedmcp/store/node`.
export type { ClusterKey } from './cluster-crypto.js';
export {
  deriveClusterKey,
  fromBase64Url,
  openClusterText,
  sealClusterText,
  toBase64Url,
} from './cluster-crypto.js';
export type { MemoryStoreOptions } from './create-memory-store.js';
export { createMemoryStore } from './create-memory-store.js';
export type {
  SealedPubSub,
  SealedPubSubDropReason,
  SealedPubSubOptions,
} from './sealed-pubsub.js';
export {
  SEALED_PUBSUB_MAX_AGE_MS,
  SEALED_PUBSUB_PURPOSE,
  sealPubSub,
  withSealedPubSub,
} from './sealed-pubsub.js';
export type {
  AcquireLeaseOptions,
  AppendOptions,
  ClaimOptions,
  ClaimResult,
  CompareAndSetOptions,
  CompareAndSetResult,
  CreateGroupOptions,
  DeadLetterOrigin,
  DeliveredMessage,
  IncrementOptions,
  KeyValueEntry,
  KeyValueStore,
  Lease,
  LeaseStore,
  ListOptions,
  ListPage,
  MessageListener,
  PendingMessage,
  PubSub,
  ReadGroupOptions,
  SetOptions,
  Store,
  StoreEngine,
  StoreLogger,
  StoreOptions,
  StreamEntry,
  StreamReadOptions,
  StreamStore,
  Subscription,
  TrimOptions,
} from './store.js';
export type { StoreErrorCode, StoreErrorOptions } from './store-error.js';
export { StoreError } from './store-error.js';
export type { StreamIdParts } from './stream-id.js';
export { compareStreamIds, formatStreamId, parseStreamId } from './stream-id.js';
