// @fedmcp/transports/node: the Node.js-only adapters of @fedmcp/transports.

// Server side (hosts).
export {
  createMcpHttpHost,
  type McpHostLogger,
  type McpHttpHost,
  type McpHttpHostAddress,
  type McpHttpHostCorsOptions,
  type McpHttpHostOptions,
  type McpHttpHostPaths,
  type McpHttpHostTransports,
} from './create-mcp-http-host.js';
export { createStdioHost, type StdioHost, type StdioHostOptions } from './create-stdio-host.js';
export { type ReadBodyOptions, RequestBodyTooLargeError, readBody } from './read-body.js';
export {
  createSseServerTransport,
  type SseServerTransport,
  type SseServerTransportOptions,
} from './sse-server-transport.js';
export {
  createWebSocketServerTransport,
  type WebSocketServerTransport,
  type WebSocketServerTransportOptions,
} from './websocket-server-transport.js';
