// @fedmcp/transports/node: the Node.js-only adapters of @fedmcp/transports.
export {};
