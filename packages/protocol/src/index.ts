// @fedmcp/protocol: federation extension of MCP. Its public API lands with the issue that builds it.
export {};
