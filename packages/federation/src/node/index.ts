// @fedmcp/federation/node: the Node.js-only adapters of @fedmcp/federation.
export {};
