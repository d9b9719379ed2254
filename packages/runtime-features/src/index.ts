// @fedmcp/runtime-features: the built-in MCP server: task execution, webhook intake, transcripts, intents, status. Its public API lands with the issue that builds it.
export {};
