/**
 * Mounts the built-in runtime (`@fedmcp/runtime-features`) into a fedmcp server: the runtime
 * options from the `runtime` config key (secrets resolved), the in-process connector of the
 * `runtime` upstream, automations calling tools through the hub's own pipeline as service
 * principals, and the `/hooks/<name>` route.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { Hub, UpstreamConfig, UpstreamConnector } from '@fedmcp/federation';
import { sendWebResponse, toWebRequest } from '@fedmcp/federation/node';
import { InvalidConfigError, type Logger } from '@fedmcp/protocol';
import type { Principal } from '@fedmcp/proxy-auth';
import { resolveSecretReferences } from '@fedmcp/proxy-auth';
import {
  type AutomationCallTool,
  createOpenAiIntentEngine,
  createRuntimeServer,
  type RuntimeServer,
  type RuntimeUpstreamHealth,
} from '@fedmcp/runtime-features';
import type { Store } from '@fedmcp/store';
import { Client, InMemoryTransport } from '@modelcontextprotocol/client';
import { openConfigSecrets } from '../auth/upstream-secrets.js';
import type { FedmcpConfig } from '../config/config-schema.js';

/** The upstream id the runtime is mounted under (its tools are `runtime__<name>`). */
export const RUNTIME_UPSTREAM_ID = 'runtime';
const RUNTIME_URL = 'fedmcp-runtime://in-process';
/** The spec of the runtime upstream: served in process by {@link runtimeConnector}. */
export const RUNTIME_UPSTREAM: UpstreamConfig = { url: RUNTIME_URL };
/** The `_meta` key carrying an automation's idempotency key to the tool it calls. */
export const IDEMPOTENCY_KEY_META = 'io.fedmcp/idempotencyKey';

/** What {@link createConfiguredRuntime} needs from the server being composed. */
export interface ConfiguredRuntimeOptions {
  config: FedmcpConfig;
  store: Store;
  baseDirectory: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Secret values the logs must never carry; the webhook secrets are added. */
  secretValues: Set<string>;
  /** The hub, once created (automations call through it). */
  hub: () => Hub;
  status: () => Promise<unknown>;
  upstreams: () => readonly RuntimeUpstreamHealth[];
  logger: Logger;
  fetch?: typeof fetch;
}

/**
 * The runtime of a config, or `undefined` when `runtime` is `false`.
 * @throws InvalidConfigError when `mcpServers` already has an upstream `runtime`, or a
 * `${secret:…}` of `runtime` cannot be resolved.
 */
export async function createConfiguredRuntime(
  options: ConfiguredRuntimeOptions,
): Promise<RuntimeServer | undefined> {
  const { config } = options;
  const section = (config as { runtime?: unknown }).runtime as false | undefined | RuntimeSection;
  if (section === false) return undefined;
  if (Object.keys(config.mcpServers).some((name) => name === RUNTIME_UPSTREAM_ID)) {
    throw new InvalidConfigError({
      path: 'mcpServers.runtime',
      reason:
        'the name "runtime" is the built-in runtime upstream; rename the entry or set "runtime": false',
    });
  }
  const runtime = section ? await resolveRuntimeSecrets(section, options) : {};
  const intents = runtime.intents;
  return createRuntimeServer({
    store: options.store,
    webhooks: Object.entries(runtime.webhooks ?? {}).map(([name, source]) => ({
      name,
      ...source,
    })),
    automations: (runtime.automations ?? []).map((automation, index) => ({
      ...automation,
      name: automation.name ?? `automation-${index}`,
    })),
    callTool: hubToolCaller(options.hub),
    status: options.status,
    upstreams: options.upstreams,
    intents:
      intents?.engine === 'openai' && intents.openai
        ? createOpenAiIntentEngine({
            ...intents.openai,
            ...(options.fetch ? { fetch: options.fetch } : {}),
          })
        : intents?.engine === 'sampling'
          ? 'sampling'
          : 'builtin',
    ...(runtime.retryDelayMs ? { retryDelayMs: runtime.retryDelayMs } : {}),
    ...(runtime.claimIdleMs ? { claimIdleMs: runtime.claimIdleMs } : {}),
    logger: options.logger,
  });
}

type RuntimeSection = Exclude<NonNullable<FedmcpConfig['runtime']>, false>;

async function resolveRuntimeSecrets(
  section: RuntimeSection,
  options: ConfiguredRuntimeOptions,
): Promise<RuntimeSection> {
  const secrets = JSON.stringify(section).includes('${secret:')
    ? await openConfigSecrets(options.config, options)
    : undefined;
  const resolved = await resolveSecretReferences(section, {
    env: options.env,
    ...(secrets ? { secrets } : {}),
    path: 'runtime',
    onResolved: (value) => options.secretValues.add(value),
  });
  for (const source of Object.values(resolved.webhooks ?? {})) {
    options.secretValues.add(source.secret);
  }
  if (resolved.intents?.openai) options.secretValues.add(resolved.intents.openai.apiKey);
  return resolved;
}

/** The connector of the hub with the runtime served in process for {@link RUNTIME_UPSTREAM}. */
export function runtimeConnector(
  base: UpstreamConnector,
  runtime: RuntimeServer | undefined,
): UpstreamConnector {
  if (!runtime) return base;
  return async (spec, options) => {
    if (!('url' in spec) || spec.url !== RUNTIME_URL) return base(spec, options);
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await runtime.createServer().connect(serverSide);
    const client = new Client(options.clientInfo, { capabilities: options.capabilities });
    options.configure(client);
    await client.connect(clientSide);
    return client;
  };
}

/** The principal an automation's call is made as: policy matches `user:<as>` and `group:service`. */
export function servicePrincipal(subject: string): Principal {
  return {
    subject,
    groups: ['service'],
    scopes: [],
    authMethod: 'api-key',
    claims: { service: true },
  };
}

/**
 * Calls tools through the hub's whole pipeline (policy, consent, audit, routing) as a service
 * principal: one in-process session per principal, opened on first use.
 */
function hubToolCaller(hub: () => Hub): AutomationCallTool {
  const sessions = new Map<string, Promise<Client>>();
  const sessionOf = (subject: string) => {
    let session = sessions.get(subject);
    if (!session) {
      session = (async () => {
        const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
        await hub()
          .createServer({
            era: 'legacy',
            transport: 'in-memory',
            principal: servicePrincipal(subject),
          })
          .connect(serverSide);
        const client = new Client({ name: 'fedmcp-automation', version: '1.0.0' });
        client.onclose = () => sessions.delete(subject);
        await client.connect(clientSide);
        return client;
      })();
      session.catch(() => sessions.delete(subject));
      sessions.set(subject, session);
    }
    return session;
  };
  return async (principal, name, args, { idempotencyKey }) => {
    const client = await sessionOf(principal);
    return (await client.callTool({
      name,
      arguments: args,
      _meta: { [IDEMPOTENCY_KEY_META]: idempotencyKey },
    })) as Awaited<ReturnType<AutomationCallTool>>;
  };
}

/**
 * The Node route of `POST /hooks/<name>` (the body is read by the runtime, within its limit);
 * 503 with `Retry-After` until `ready()` (automations started), so no event misses them.
 */
export function hooksRoute(runtime: RuntimeServer | undefined, ready: () => boolean) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<boolean> => {
    const path = new URL(request.url ?? '/', 'http://host.invalid').pathname;
    if (!runtime || !path.startsWith('/hooks/')) return false;
    if (!ready()) {
      response.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
      response.end(JSON.stringify({ error: 'the hub is starting; retry' }));
      return true;
    }
    let name: string;
    try {
      name = decodeURIComponent(path.slice('/hooks/'.length));
    } catch {
      name = ''; // a malformed escape names no source: 404
    }
    const bare = toWebRequest(request);
    const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
    const webRequest = new Request(bare.url, {
      method: bare.method,
      headers: bare.headers,
      ...(hasBody
        ? { body: Readable.toWeb(request) as ReadableStream<Uint8Array>, duplex: 'half' }
        : {}),
    } as RequestInit);
    const answer = await runtime.handleWebhook(name, webRequest);
    // A refused body was not read to its end: close the connection rather than drain it.
    if (answer.status === 413) response.setHeader('connection', 'close');
    await sendWebResponse(response, answer);
    return true;
  };
}

/**
 * Upstream listings for operators (`/readyz`, `/status`, `status://hub`, the serve banner) leave
 * the built-in runtime out: it runs in process, cannot be down on its own, and reports through
 * its own `runtime__health` tool.
 */
export function withoutRuntime<T extends { id: string }>(upstreams: readonly T[]): T[] {
  return upstreams.filter((upstream) => upstream.id !== RUNTIME_UPSTREAM_ID);
}
