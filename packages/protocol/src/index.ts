// @fedmcp/protocol: the federation extension of MCP. An explicit, reviewed list of exports.

export { CanceledError, type CanceledErrorOptions } from './canceled-error.js';
export { type CanonicalJsonOptions, canonicalJson } from './canonical-json.js';
// Cluster keys and sealing (HKDF-SHA-256, AES-256-GCM), base64url
export {
  type ClusterKey,
  deriveClusterKey,
  fromBase64Url,
  openClusterText,
  sealClusterText,
  toBase64Url,
} from './cluster-crypto.js';
export {
  ConsentRequiredError,
  type ConsentRequiredErrorOptions,
} from './consent-required-error.js';
// Namespacing: tool and prompt names, resource URIs
export {
  createNameTable,
  DEFAULT_EXPOSED_NAME_MAX_LENGTH,
  type EncodeNameOptions,
  type NamespacedName,
  type NameTable,
  type NameTableOptions,
} from './create-name-table.js';
export {
  createNamespaceCodec,
  type NamespaceCodec,
  type NamespaceCodecOptions,
} from './create-namespace-codec.js';
export {
  createResourceUriTable,
  type EncodeResourceUriOptions,
  type ResourceUriTable,
  type ResourceUriTableOptions,
} from './create-resource-uri-table.js';
// Discovery document and peer token claims
export {
  DISCOVERY_DOCUMENT_PATH,
  type DiscoveryDocument,
  DiscoveryDocumentSchema,
  type DiscoveryTransport,
  DiscoveryTransportSchema,
  FEDMCP_PROTOCOL_VERSIONS,
  type ParseDiscoveryDocumentOptions,
  parseDiscoveryDocument,
} from './discovery-document.js';
// _meta keys of the federation extension
export {
  FEDMCP_META_PREFIX,
  HubIdSchema,
  type MetaObject,
  readMetaValue,
  writeMetaValue,
} from './federation-meta.js';
export {
  FEDMCP_ERROR_BRAND,
  FedmcpError,
  type FedmcpErrorData,
  type FedmcpErrorOptions,
  type FedmcpJsonRpcErrorData,
  type JsonRpcErrorObject,
} from './fedmcp-error.js';
// Errors
export {
  FEDMCP_ERROR_CODES,
  type FedmcpErrorCode,
  type FedmcpErrorCodeInfo,
  fedmcpCodeForJsonRpcCode,
  httpStatusFor,
  isFedmcpErrorCode,
  jsonRpcCodeFor,
} from './fedmcp-error-codes.js';
export {
  appendHop,
  type CheckHopTrailOptions,
  checkHopTrail,
  DEFAULT_MAX_HOPS,
  HOP_TRAIL_META_KEY,
  HopTrailSchema,
  readHopTrail,
  recordHop,
} from './hop-trail.js';
export { InvalidConfigError, type InvalidConfigErrorOptions } from './invalid-config-error.js';
export { InvalidRequestError, type InvalidRequestErrorOptions } from './invalid-request-error.js';
export { childLogger, type Logger, type LogLevel, silentLogger } from './logger.js';
export { LoopDetectedError, type LoopDetectedErrorOptions } from './loop-detected-error.js';
export {
  isValidMcpToolName,
  MCP_TOOL_NAME_MAX_LENGTH,
  MCP_TOOL_NAME_PATTERN,
  sanitizeMcpToolName,
  validateMcpToolName,
} from './mcp-tool-name.js';
export {
  assertNamespacePrefix,
  isValidNamespacePrefix,
  NAMESPACE_PREFIX_PATTERN,
  NAMESPACE_SEPARATOR,
  toNamespaceId,
} from './namespace-prefix.js';
export { NotFoundError, type NotFoundErrorOptions } from './not-found-error.js';
export {
  ON_BEHALF_OF_META_KEY,
  type OnBehalfOf,
  OnBehalfOfSchema,
  readOnBehalfOf,
  withOnBehalfOf,
} from './on-behalf-of.js';
export {
  type ExtendOriginOptions,
  extendOrigin,
  ORIGIN_META_KEY,
  type Origin,
  OriginSchema,
  readOrigin,
  withOrigin,
} from './origin.js';
export {
  type ActorClaim,
  ActorClaimSchema,
  actorChain,
  PEER_TOKEN_MAX_LIFETIME_SECONDS,
  type PeerTokenClaims,
  PeerTokenClaimsSchema,
} from './peer-token-claims.js';
export { PolicyDeniedError, type PolicyDeniedErrorOptions } from './policy-denied-error.js';
export { RateLimitedError, type RateLimitedErrorOptions } from './rate-limited-error.js';
export { readBodyBytes } from './read-body-bytes.js';
export { RequestTimeoutError, type RequestTimeoutErrorOptions } from './request-timeout-error.js';
export {
  DEFAULT_HUB_URI_SCHEME,
  fromHubResourceUri,
  isHubResourceUri,
  type ResourceUriOptions,
  toHubResourceUri,
  toHubResourceUriTemplate,
  type UpstreamResourceUri,
} from './resource-uri.js';
export {
  type CreateTraceparentOptions,
  createChildTraceparent,
  createSpanId,
  createTraceparent,
  isValidTraceparent,
  isValidTracestate,
  parseTraceparent,
  readTraceContext,
  TRACEPARENT_META_KEY,
  TRACESTATE_META_KEY,
  type TraceContext,
  type Traceparent,
  TraceparentSchema,
  TracestateSchema,
  withChildSpan,
  withTraceContext,
} from './trace-context.js';
export {
  TransportClosedError,
  type TransportClosedErrorOptions,
} from './transport-closed-error.js';
export { UnauthenticatedError, type UnauthenticatedErrorOptions } from './unauthenticated-error.js';
export {
  UpstreamUnavailableError,
  type UpstreamUnavailableErrorOptions,
} from './upstream-unavailable-error.js';
// The version of every fedmcp package (lockstep), injected at build time
export { FEDMCP_VERSION } from './version.js';
