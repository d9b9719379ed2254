// @fedmcp/runtime-features: the built-in MCP server every hub mounts as upstream `runtime` —
// verified webhooks into a durable inbox, automations, meeting transcripts, intents, status and
// health as MCP. An explicit, reviewed list of exports.
export type {
  Automation,
  AutomationCallResult,
  AutomationCallTool,
  AutomationRun,
  DeadLetter,
} from './automations/automation-types.js';
export {
  type AutomationRunner,
  type AutomationRunnerOptions,
  createAutomationRunner,
  DEAD_LETTER_STREAM,
  splitTrigger,
} from './automations/create-automation-runner.js';
export { renderTemplate } from './automations/render-template.js';
export { checkCron } from './automations/schedule.js';
export * from './intents/index.js';
export {
  createRuntimeServer,
  type RuntimeServer,
  type RuntimeServerOptions,
  type RuntimeUpstreamHealth,
} from './server/create-runtime-server.js';
export type { IntentEngineChoice } from './server/register-meeting-tools.js';
export {
  automationRunUri,
  DEAD_LETTER_URI,
  STATUS_URI,
  webhookEventsUri,
  webhookEventUri,
} from './server/register-runtime-resources.js';
export * from './transcript/index.js';
export {
  createWebhookReceiver,
  type WebhookReceiver,
  type WebhookReceiverOptions,
} from './webhooks/create-webhook-receiver.js';
export {
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_TOLERANCE_SEC,
  verifyWebhook,
  type WebhookDelivery,
  type WebhookScheme,
  type WebhookSource,
  type WebhookVerification,
} from './webhooks/verify-webhook.js';
export {
  type AppendResult,
  createWebhookInbox,
  type InboxEntry,
  inboxStream,
  parseInboxEntry,
  type WebhookEvent,
  type WebhookInbox,
  type WebhookInboxOptions,
} from './webhooks/webhook-inbox.js';
