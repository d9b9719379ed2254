// @fedmcp/store: key/value, streams, pub/sub and leases over memory, SQLite and Redis. Its public API lands with the issue that builds it.
export {};
