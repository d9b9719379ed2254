// @fedmcp/proxy-auth/node: the Node.js-only adapters of @fedmcp/proxy-auth.
export {};
