// @fedmcp/transports: every MCP transport, server and client side, both protocol eras. An explicit, reviewed list of exports.

// Server side (hosts): web-standard pieces shared by every adapter.
export {
  type AuthenticationOutcome,
  authenticationErrorResponse,
  isAuthInfoShaped,
  type McpAuthenticate,
  runAuthenticate,
} from './authenticate.js';
export {
  createHostValidator,
  type HostValidationFailure,
  type HostValidator,
  type HostValidatorOptions,
} from './host-validation.js';
export {
  createInMemoryEventStore,
  type InMemoryEventStoreOptions,
} from './in-memory-event-store.js';
export {
  createJsonRpcError,
  isJsonRpcMessageShape,
  JsonRpcErrorCode,
  type JsonRpcErrorResponse,
} from './json-rpc-error.js';
export type {
  CreateMcpServer,
  McpProtocolEra,
  McpServerInstance,
  McpSessionContext,
  McpTransportKind,
} from './mcp-session-context.js';
