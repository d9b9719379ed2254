// @fedmcp/federation: the hub: upstream registry, aggregation, routing and forwarding. Its public API lands with the issue that builds it.
export {};
