// @fedmcp/store/node: the Node.js-only adapters of @fedmcp/store.
export {};
