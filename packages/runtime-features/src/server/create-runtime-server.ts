/**
 * The runtime: the built-in MCP server a hub mounts as upstream `runtime`, with the webhook
 * receiver and the automation runner that feed it. One runtime serves any number of MCP
 * connections (`createServer()` per connection); change notifications reach every connection
 * that subscribed, through the store's pub/sub, so replicas on one store notify each other's
 * clients.
 */
import { type Logger, silentLogger } from '@fedmcp/protocol';
import type { Store, Subscription } from '@fedmcp/store';
import { McpServer, type Server } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { Automation, AutomationCallTool } from '../automations/automation-types.js';
import {
  type AutomationRunner,
  createAutomationRunner,
} from '../automations/create-automation-runner.js';
import {
  createWebhookReceiver,
  type WebhookReceiver,
} from '../webhooks/create-webhook-receiver.js';
import type { WebhookSource } from '../webhooks/verify-webhook.js';
import { createWebhookInbox, type WebhookInbox } from '../webhooks/webhook-inbox.js';
import { type IntentEngineChoice, registerMeetingTools } from './register-meeting-tools.js';
import {
  automationRunUri,
  DEAD_LETTER_URI,
  registerRuntimeResources,
  STATUS_URI,
  webhookEventsUri,
} from './register-runtime-resources.js';

/** One upstream's state as `health` reports it. */
export interface RuntimeUpstreamHealth {
  id: string;
  state: string;
  error?: string;
}

/** Options of {@link createRuntimeServer}. */
export interface RuntimeServerOptions {
  /** Where the inbox, run records and dead letters live (share it between replicas). */
  store: Store;
  /** Webhook sources, served by {@link RuntimeServer.handleWebhook}. @default [] */
  webhooks?: readonly WebhookSource[];
  /** Automations (webhook or schedule → tool call). Need {@link RuntimeServerOptions.callTool}. @default [] */
  automations?: readonly Automation[];
  /** Calls a hub tool as a service principal (the app wires the hub's pipeline in). */
  callTool?: AutomationCallTool;
  /** The federated status document of `status://hub`. @default `{ upstreams: [] }` */
  status?: () => Promise<unknown>;
  /** The upstreams `health` reports. @default none */
  upstreams?: () => readonly RuntimeUpstreamHealth[];
  /** The engine of `detect_intents` and the transcript's intents. @default 'builtin' */
  intents?: IntentEngineChoice;
  /** Server identity. @default { name: 'fedmcp-runtime', version: '0.1.0' } */
  serverInfo?: { name: string; version: string };
  /** Automation tuning: first retry delay (ms). @default 1000 */
  retryDelayMs?: number;
  /** Automation tuning: idle time (ms) after which a dead consumer's message is taken over. @default 30_000 */
  claimIdleMs?: number;
  /** @default silent */
  logger?: Logger;
}

/** The runtime. See {@link createRuntimeServer}. */
export interface RuntimeServer extends AsyncDisposable {
  /** A new MCP server for one connection (give it to an in-memory pair or any transport). */
  createServer(): Server;
  /** Answers `POST /hooks/<name>` (web-standard). */
  readonly handleWebhook: WebhookReceiver;
  /** The inbox (for tools and tests that read events directly). */
  readonly inbox: WebhookInbox;
  /** The automation runner (run records, dead letters). */
  readonly automations: AutomationRunner;
  /** Tells subscribers of `status://hub` that it changed (an upstream, peer or replica moved). */
  statusChanged(): void;
  /** Starts the automations (consumer groups first: call before accepting webhooks). */
  start(): Promise<void>;
  /** Stops the automations and closes every connection's server. */
  close(): Promise<void>;
}

const CHANNEL = 'runtime:resource-updated';

/**
 * Creates the runtime: tools `process_transcript`, `detect_intents`, `health`; prompt
 * `meeting_summary`; resources `status://hub`, `webhook://<source>/events[/<id>]`,
 * `automation://<name>/runs/<trigger>`, `automation://dead-letter`.
 *
 * @example
 * ```ts
 * const runtime = createRuntimeServer({ store: createMemoryStore() });
 * const [clientSide, serverSide] = createInMemoryTransportPair();
 * await runtime.createServer().connect(serverSide);
 * ```
 */
export function createRuntimeServer(options: RuntimeServerOptions): RuntimeServer {
  const { store } = options;
  const logger = options.logger ?? silentLogger;
  const sources = new Map((options.webhooks ?? []).map((source) => [source.name, source]));
  const automations = options.automations ?? [];
  const inbox = createWebhookInbox({ store });
  const live = new Set<{ server: McpServer; subscribed: Set<string> }>();
  let subscription: Promise<Subscription> | undefined;

  const announce = (uri: string) => {
    store.pubsub
      .publish(CHANNEL, uri)
      .catch((error: Error) =>
        logger.warn({ err: error.message }, 'resource update not published'),
      );
  };
  const notifyLocal = (uri: string) => {
    for (const connection of live) {
      if (!connection.subscribed.has(uri)) continue;
      connection.server.server.sendResourceUpdated({ uri }).catch(() => undefined);
    }
  };
  const runner = createAutomationRunner({
    store,
    inbox,
    automations,
    callTool:
      options.callTool ??
      (() => Promise.reject(new Error('no callTool was given to the runtime server'))),
    onRun: (run) => {
      announce(automationRunUri(run.automation, run.trigger));
      if (run.state === 'dead') announce(DEAD_LETTER_URI);
    },
    ...(options.retryDelayMs === undefined ? {} : { retryDelayMs: options.retryDelayMs }),
    ...(options.claimIdleMs === undefined ? {} : { claimIdleMs: options.claimIdleMs }),
    logger,
  });
  const handleWebhook = createWebhookReceiver({
    sources,
    inbox,
    onEvent: (event) => announce(webhookEventsUri(event.source)),
    logger,
  });

  const health = async () => {
    const upstreams = options.upstreams?.() ?? [];
    let storeOk = true;
    let storeError: string | undefined;
    try {
      await store.kv.get('runtime:health');
    } catch (error) {
      storeOk = false;
      storeError = (error as Error).message;
    }
    const down = upstreams.filter((upstream) => upstream.state !== 'ready');
    const status = !storeOk ? 'down' : down.length > 0 ? 'degraded' : 'ok';
    return {
      status,
      checkedAt: new Date().toISOString(),
      store: { engine: store.engine, ok: storeOk, ...(storeError ? { error: storeError } : {}) },
      upstreams: upstreams.map(({ id, state, error }) => ({
        id,
        state,
        ...(error ? { error } : {}),
      })),
      webhookSources: [...sources.keys()],
      automations: automations.map((automation) => automation.name),
    };
  };

  const runtime: RuntimeServer = {
    createServer() {
      const server = new McpServer(
        options.serverInfo ?? { name: 'fedmcp-runtime', version: '0.1.0' },
        { capabilities: { resources: { subscribe: true, listChanged: true } } },
      );
      const connection = { server, subscribed: new Set<string>() };
      registerMeetingTools(server, options.intents ?? 'builtin');
      server.registerTool(
        'health',
        {
          title: 'Hub health',
          description:
            'The hub\'s health: "ok", "degraded" (an upstream is not ready) or "down" (the store fails), with each upstream\'s state.',
          inputSchema: z.object({}),
          outputSchema: healthOutputSchema,
          annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
        },
        async () => {
          const report = await health();
          return {
            content: [{ type: 'text', text: JSON.stringify(report) }],
            structuredContent: report,
          };
        },
      );
      registerRuntimeResources(server, {
        status: options.status ?? (async () => ({ upstreams: [] })),
        sources: () => [...sources.keys()],
        automations,
        inbox,
        runner,
      });
      // MCP 2025-11-25 server/resources: subscriptions are per connection.
      server.server.setRequestHandler('resources/subscribe', async (request) => {
        connection.subscribed.add(request.params.uri);
        return {};
      });
      server.server.setRequestHandler('resources/unsubscribe', async (request) => {
        connection.subscribed.delete(request.params.uri);
        return {};
      });
      live.add(connection);
      server.server.onclose = () => live.delete(connection);
      subscription ??= store.pubsub.subscribe(CHANNEL, (uri) => notifyLocal(uri));
      return server.server;
    },
    handleWebhook,
    inbox,
    automations: runner,
    statusChanged: () => notifyLocal(STATUS_URI),
    async start() {
      subscription ??= store.pubsub.subscribe(CHANNEL, (uri) => notifyLocal(uri));
      await subscription;
      await runner.start();
    },
    async close() {
      await runner.close();
      await (await subscription)?.unsubscribe();
      await Promise.allSettled([...live].map(({ server }) => server.close()));
      live.clear();
    },
    [Symbol.asyncDispose]: () => runtime.close(),
  };
  return runtime;
}

const healthOutputSchema = z.object({
  status: z.enum(['ok', 'degraded', 'down']),
  checkedAt: z.string(),
  store: z.object({ engine: z.string(), ok: z.boolean(), error: z.string().optional() }),
  upstreams: z.array(z.object({ id: z.string(), state: z.string(), error: z.string().optional() })),
  webhookSources: z.array(z.string()),
  automations: z.array(z.string()),
});
