// @fedmcp/edge-providers: deploy, status, logs, scale and destroy a hub on Cloudflare Workers,
// Supabase Edge Functions and Fly.io, over their documented HTTP APIs. Web-standard only.
export type { ApiRequest, FormPart } from './api-client.js';
export {
  cloudflareModuleType,
  type DurableObjectBinding,
  MIGRATION_TAG,
  type WorkerMetadataInput,
  workerMetadata,
} from './cloudflare-metadata.js';
export { type CloudflareProviderOptions, createCloudflareProvider } from './cloudflare-provider.js';
export type { CreateWebSocket, TailSocket } from './cloudflare-tail.js';
export {
  checkDeployName,
  EdgeProviderError,
  type EdgeProviderErrorCode,
  type EdgeProviderErrorOptions,
  explainProviderError,
} from './edge-provider-error.js';
export { FLY_CONFIG_PATH } from './fly-machine-config.js';
export { createFlyProvider, type FlyProviderOptions } from './fly-provider.js';
export { type FlyTomlOptions, flyToml } from './fly-toml.js';
export type {
  Bundle,
  BundleFile,
  DeployPlan,
  DeployResult,
  LogEvent,
  LogsOptions,
  PlannedStep,
  ProgressEvent,
  Provider,
  ProviderCommonOptions,
  ProviderId,
  ProviderStatus,
  RecordedRequest,
  ScaleOptions,
} from './provider.js';
export { createSupabaseProvider, type SupabaseProviderOptions } from './supabase-provider.js';
