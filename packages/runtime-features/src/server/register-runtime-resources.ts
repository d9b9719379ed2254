/**
 * The runtime server's resources: `status://hub`, each webhook source's event list and events,
 * each automation's runs, and the dead letters. Every one is JSON.
 */
import { type McpServer, ResourceTemplate } from '@modelcontextprotocol/server';
import type { Automation } from '../automations/automation-types.js';
import type { AutomationRunner } from '../automations/create-automation-runner.js';
import type { WebhookInbox } from '../webhooks/webhook-inbox.js';

/** The URI of the federated status document. */
export const STATUS_URI = 'status://hub';
/** The URI of the dead-letter list of automations. */
export const DEAD_LETTER_URI = 'automation://dead-letter';
/** The subscribable list of a source's events. */
export const webhookEventsUri = (source: string) => `webhook://${source}/events`;
/** One event of a source. */
export const webhookEventUri = (source: string, id: string) =>
  `webhook://${source}/events/${encodeURIComponent(id)}`;
/** One run of an automation for a trigger. */
export const automationRunUri = (automation: string, trigger: string) =>
  `automation://${automation}/runs/${encodeURIComponent(trigger)}`;

/** What the resources read from. */
export interface RuntimeResourceSources {
  status: () => Promise<unknown>;
  sources: () => readonly string[];
  automations: readonly Automation[];
  inbox: WebhookInbox;
  runner: AutomationRunner;
}

const json = (uri: string, value: unknown) => ({
  contents: [{ uri, mimeType: 'application/json', text: JSON.stringify(value, null, 2) }],
});

/** Registers the runtime's resources on one server instance. */
export function registerRuntimeResources(server: McpServer, from: RuntimeResourceSources): void {
  server.registerResource(
    'hub-status',
    STATUS_URI,
    {
      title: 'Federated hub status',
      description: 'This hub, its upstreams and peers, and their states (subscribable).',
      mimeType: 'application/json',
    },
    async () => json(STATUS_URI, await from.status()),
  );
  for (const source of from.sources()) {
    const uri = webhookEventsUri(source);
    server.registerResource(
      `webhook-${source}-events`,
      uri,
      {
        title: `Webhook events of ${source}`,
        description: `The newest 100 events received at /hooks/${source} (subscribable).`,
        mimeType: 'application/json',
      },
      async () => {
        const entries = await from.inbox.list(source, { limit: 100_000 });
        const events = entries.slice(-100).map(({ event }) => ({
          id: event.id,
          ...(event.type ? { type: event.type } : {}),
          receivedAt: new Date(event.receivedAt).toISOString(),
          uri: webhookEventUri(source, event.id),
        }));
        return json(uri, { source, total: entries.length, events });
      },
    );
  }
  server.registerResource(
    'webhook-event',
    new ResourceTemplate('webhook://{source}/events/{id}', { list: undefined }),
    { title: 'A webhook event', mimeType: 'application/json' },
    async (uri, { source, id }) => {
      const found = await from.inbox.get(String(source), decodeURIComponent(String(id)));
      if (!found) throw new Error(`no event ${String(id)} from webhook source ${String(source)}`);
      return json(uri.href, found.event);
    },
  );
  server.registerResource(
    'automation-run',
    new ResourceTemplate('automation://{automation}/runs/{trigger}', { list: undefined }),
    { title: 'An automation run', mimeType: 'application/json' },
    async (uri, { automation, trigger }) => {
      const run = await from.runner.getRun(String(automation), decodeURIComponent(String(trigger)));
      if (!run) throw new Error(`no run of ${String(automation)} for ${String(trigger)}`);
      return json(uri.href, run);
    },
  );
  if (from.automations.length > 0) {
    server.registerResource(
      'automation-dead-letter',
      DEAD_LETTER_URI,
      {
        title: 'Dead letters of automations',
        description:
          'Triggers whose automation failed every attempt, with the reason (subscribable).',
        mimeType: 'application/json',
      },
      async () => json(DEAD_LETTER_URI, { deadLetters: await from.runner.deadLetters() }),
    );
  }
}
