// @fedmcp/federation: the hub — upstream registry, aggregation, routing and forwarding.
export type {
  CatalogGuard,
  CatalogReview,
  GuardedLists,
  QuarantinedItem,
} from './catalog-guard.js';
export type {
  CatalogViewFilter,
  CatalogViewKind,
  CatalogViewOptions,
} from './catalog-view.js';
export {
  canUseTool,
  REQUIRES_CLIENT_CAPABILITIES_META,
  requiredCapabilitiesOf,
} from './client-capability-hints.js';
export { connectRemoteUpstream } from './connect-remote-upstream.js';
export { type ConsentStepOptions, createConsentStep } from './consent-step.js';
export { createHub } from './create-hub.js';
// The verdicts and server/discover results of upstream connects, per authorization context.
export {
  contextCacheKey,
  DiscoverCache,
  type DiscoverCacheOptions,
  MAX_DISCOVER_TTL_MS,
} from './discover/discover-cache.js';
export {
  createFederatedStatus,
  type FederatedStatus,
  type FederatedStatusOptions,
  HUB_STATUS_PATH,
  type HubStatus,
  type HubStatusRequest,
  type HubStatusUpstream,
  hubStatusUrl,
  type PeerStatusReport,
  type PeerStatusTarget,
  parseHubStatusQuery,
} from './federated-status.js';
export type { FastRequestExtra, FastRequestHandler } from './handlers/fast-path.js';
export type {
  AccessAllow,
  AccessAsk,
  AccessDeny,
  AccessOutcome,
  AccessRequest,
  AccessVerdict,
  HubAccess,
  HubListAction,
  ListedItem,
} from './hub-access.js';
export {
  DEFAULT_MAX_INSTRUCTIONS_CHARS,
  mergeInstructions,
  type UpstreamInstructions,
} from './hub-instructions.js';
export type {
  Hub,
  HubOptions,
  UpstreamConfig,
  UpstreamRegistry,
  UpstreamStatus,
  UpstreamSyncResult,
} from './hub-options.js';
export { ACCESS_INPUT_KEY, type HubSessionContext } from './hub-session.js';
export {
  exposeName,
  exposeTaskId,
  exposeUri,
  isUiUri,
  mapUiMeta,
  NAME_SEPARATOR,
  uiResourceUriOf,
} from './namespacing.js';
// Peers: hub-to-hub federation (peer upstreams, peer tokens at the door, discovery, status).
export {
  createDiscoveryDocument,
  createDiscoveryRoutes,
  type DiscoveryDocumentOptions,
  type DiscoveryRoutesOptions,
  JWKS_PATH,
} from './peers/create-discovery-routes.js';
export {
  createHubIdentity,
  type HubIdentity,
  type HubIdentityOptions,
} from './peers/create-hub-identity.js';
export {
  createPeerAuthentication,
  type PeerAuthentication,
  type PeerAuthenticationOptions,
} from './peers/create-peer-authentication.js';
export { createPeerConnector, type PeerConnectorOptions } from './peers/create-peer-connector.js';
export {
  createPeerFederatedStatus,
  type PeerFederatedStatusOptions,
} from './peers/create-peer-federated-status.js';
export { createStatusRoute, type StatusRouteOptions } from './peers/create-status-route.js';
export {
  type DiscoveredPeer,
  type DiscoverPeerOptions,
  discoverPeer,
} from './peers/discover-peer.js';
export { hubIdFromUrl } from './peers/hub-id-from-url.js';
export {
  assertSecurePeerUrl,
  importedPeers,
  type PeerOptions,
  type PeersOptions,
  peerBaseUrl,
  peerMcpEndpoint,
  peerUpstreamSpec,
  peerUpstreams,
  toTrustedPeers,
} from './peers/peer-options.js';
export { peerSessionOwner } from './peers/peer-session-owner.js';
export { composeWebRoutes, type WebRoute } from './peers/web-route.js';
export {
  type ApprovedItem,
  type ApproveOptions,
  createToolPinning,
  NEW_ITEM_REASON,
  type PendingChange,
  type PinRecord,
  type ToolPinning,
  type ToolPinningOptions,
} from './pinning/create-tool-pinning.js';
export {
  type DefinitionDiffInput,
  type DiffSide,
  diffDefinitions,
} from './pinning/definition-diff.js';
export {
  type CanonicalDefinition,
  canonicalDefinition,
  canonicalJson,
  changedFields,
  type DigestedDefinition,
  digestDefinition,
  PINNED_FIELDS,
  type PinnedKind,
} from './pinning/definition-digest.js';
export {
  type PinEntry,
  type PinFile,
  parsePinFile,
  type UpstreamPins,
} from './pinning/pin-file.js';
export {
  type ConsentStep,
  createPolicyAccess,
  type PolicyAccessOptions,
} from './policy-access.js';
export {
  UPSTREAM_CLIENT_CAPABILITIES,
  type UpstreamStateChange,
} from './services/upstream-events.js';
// Hub-managed durable tasks: options, and the operator's view of the records in the store.
export type { HubTaskRecord, HubTaskStatus } from './tasks/hub-task.js';
export type { HubTaskCallbackOptions, HubTaskOptions } from './tasks/hub-task-options.js';
export { createTaskAdmin, type TaskAdmin, type TaskSummary } from './tasks/task-admin.js';
export { signWebhook } from './tasks/task-webhook.js';
export {
  createTokenExchangeConnector,
  type TokenExchangeConnectorOptions,
} from './token-exchange-connector.js';
export type { ToolFilter } from './tool-filter.js';
export type { UpstreamState } from './upstream.js';
export {
  CLIENT_METADATA_PATH,
  createOAuthWebRoutes,
  hubClientMetadata,
  hubClientMetadataUrl,
  OAUTH_CALLBACK_PATH,
  type OAuthWebRoutesOptions,
  withHubClientMetadata,
} from './upstream-oauth/hub-client-metadata.js';
export {
  authorizeUpstream,
  createOAuthUpstreamConnector,
  type OAuthUpstreamConnectorOptions,
  type UpstreamOAuthBinding,
  type UpstreamOAuthContext,
} from './upstream-oauth/oauth-upstream-connector.js';
export type { UpstreamSignIns } from './upstream-oauth/sign-in-rounds.js';
export {
  callerHolder,
  createUpstreamOAuth,
  oauthUpstreamsOf,
  type UpstreamOAuth,
  type UpstreamOAuthOptions,
  USER_MODE_CATALOG_METHODS,
} from './upstream-oauth/upstream-oauth-bindings.js';
export {
  type CallbackAnswer,
  createUserUpstreamOAuth,
  type OAuthUpstream,
  USER_LOGIN_TTL_MS,
  type UserUpstreamOAuth,
  type UserUpstreamOAuthOptions,
} from './upstream-oauth/user-upstream-oauth.js';
export type {
  RemoteUpstreamSpec,
  StdioUpstreamSpec,
  UpstreamConnectOptions,
  UpstreamConnector,
  UpstreamCredentials,
  UpstreamOptions,
  UpstreamSpec,
} from './upstream-options.js';
// The hub as a web-standard fetch handler (workerd, Deno, any runtime with fetch).
export { connectEdgeUpstream, createEdgeConnector } from './web/connect-edge-upstream.js';
export {
  createHubHandler,
  type HubHandler,
  type HubHandlerOptions,
} from './web/create-hub-handler.js';
export {
  type BuildHubHandler,
  defineHubObject,
  type ForwardToHubObjectOptions,
  forwardToHubObject,
  type HubObjectClass,
  type HubObjectInfo,
  type HubObjectNamespace,
} from './web/hub-object.js';
