// @fedmcp/transports: every MCP transport, server and client side, both protocol eras. Its public API lands with the issue that builds it.
export {};
