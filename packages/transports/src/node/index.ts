// @fedmcp/transports/node: the Node.js-only adapters of @fedmcp/transports.

// Client side (upstreams): connectUpstream with stdio supervision, and `ws` as the WebSocket.
export {
  connectUpstream,
  type NodeConnectUpstreamOptions,
  type UpstreamExitEvent,
  type UpstreamRestartEvent,
} from './connect-upstream.js';

// Server side (hosts).
export type { ConnectionGuardStats } from './connection-guard.js';
export { createMcpHttpHost } from './create-mcp-http-host.js';
export { createStdioHost, type StdioHost, type StdioHostOptions } from './create-stdio-host.js';
export { toBodylessRequest } from './host-http-responses.js';
export type {
  McpHostLogger,
  McpHttpHost,
  McpHttpHostAddress,
  McpHttpHostCorsOptions,
  McpHttpHostOptions,
  McpHttpHostPaths,
  McpHttpHostStats,
  McpHttpHostTlsOptions,
  McpHttpHostTransports,
} from './mcp-http-host-options.js';
export { requestUrlOf, toAuthRequest } from './node-auth-request.js';
export type {
  ListenObservingServerEventBus,
  ListenServingServerEventBus,
  McpListenFilter,
  McpListenRequest,
  McpListenStream,
} from './observe-listen.js';
export { peerCertificateOf, type RequestPeerCertificate } from './peer-certificate.js';
export { type ReadBodyOptions, RequestBodyTooLargeError, readBody } from './read-body.js';
export {
  createSseServerTransport,
  type SseServerTransport,
  type SseServerTransportOptions,
} from './sse-server-transport.js';
export {
  createSupervisedStdioTransport,
  DEFAULT_KILL_GRACE_MS,
  type StdioExit,
  SupervisedStdioTransport,
  type SupervisedStdioTransportOptions,
} from './supervised-stdio-transport.js';
export {
  createWebSocketServerTransport,
  type WebSocketServerTransport,
  type WebSocketServerTransportOptions,
} from './websocket-server-transport.js';
