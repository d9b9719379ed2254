/**
 * The downstream face of the hub: a thin SDK v2 low-level `Server` over the shared core, built
 * per 2025-era session or per 2026-07-28 request. Handlers are written once in MRTR style:
 * interactive upstream questions come back as `input_required`, which the SDK's legacy shim
 * turns into real pushes for 2025-era clients.
 */
import {
  checkHopTrail,
  FedmcpError,
  HOP_TRAIL_META_KEY,
  ON_BEHALF_OF_META_KEY,
  readHopTrail,
  withChildSpan,
} from '@fedmcp/protocol';
import { MCP_FAST_REQUEST, type McpFastRequestExtra } from '@fedmcp/transports';
import { CreateTaskResultSchema, ResultSchema } from '@modelcontextprotocol/core';
import type {
  ElicitResult,
  JSONRPCRequest,
  JSONRPCResponse,
  LoggingLevel,
  Result,
  ServerContext,
  Tool,
} from '@modelcontextprotocol/server';
import { inputRequired, ProtocolError, Server } from '@modelcontextprotocol/server';
import * as z from 'zod/v4';
import type { CatalogRoute } from './catalog.js';
import { Flow, supportsElicitationMode } from './flow.js';
import type { AccessOutcome, AccessRequest, HubListAction } from './hub-access.js';
import { type HubCore, type HubSession, LOG_LEVELS } from './hub-core.js';
import { HubError, toDownstreamError } from './hub-error.js';
import { exposeTaskId, exposeUri, mapContentUris, NAME_SEPARATOR } from './namespacing.js';
import { paginate } from './pagination.js';
import { canonicalJson } from './pinning/definition-digest.js';
import type { Upstream, UpstreamConnection } from './upstream.js';

/** What the transport host knows about the session a server is built for. */
export interface HubSessionContext {
  /** `'legacy'` (2025 era, one server per session) or `'modern'` (2026-07-28, per request). @default 'legacy' */
  era?: 'legacy' | 'modern';
  transport?: 'streamable-http' | 'sse' | 'websocket' | 'stdio' | 'in-memory';
  sessionId?: string;
  principal?: unknown;
}

type Params = Record<string, unknown>;

/** An interactive tools/call in flight, with the session and upstream it belongs to. */
type HubFlow = Flow & {
  session?: HubSession;
  upstream?: Upstream;
  record?: Finish;
  /** Who made the call (see `principalKey`): only they may answer its questions. */
  owner?: string;
};

const RESERVED_META_PREFIX = 'io.modelcontextprotocol/';
const RELATED_TASK = 'io.modelcontextprotocol/related-task';
const LOG_LEVEL_KEY = 'io.modelcontextprotocol/logLevel';
/** The key of the hub's own question (consent) among a round's input requests. */
export const ACCESS_INPUT_KEY = 'io.fedmcp/consent';
const ASK_STATE = 'ask:';
/** The most consent (or other access) questions waiting for answers at once, per hub. */
const MAX_PENDING_ASKS = 10_000;
/** The most questions one caller may leave unanswered at once. */
const MAX_PENDING_ASKS_PER_CALLER = 32;

type Finish = (outcome: Omit<AccessOutcome, 'latencyMs'>) => void;
const NO_FINISH: Finish = () => {};

/** What the hub reads of a principal: the fields of `@fedmcp/proxy-auth`'s `Principal`. */
interface PrincipalLike {
  subject?: unknown;
  issuer?: unknown;
  authMethod?: unknown;
  via?: unknown;
}

/** Who a principal is, for comparing the principals of two requests. */
function principalKey(principal: unknown): string {
  const { subject, issuer, authMethod, via } = (principal ?? {}) as PrincipalLike;
  return JSON.stringify([subject, issuer, authMethod, via]);
}

function sameTrail(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((hub, index) => hub === b[index]);
}

/** Strips the downstream's progress token and era envelope keys from `_meta` (notes §6.2). */
function upstreamMeta(meta: unknown): { meta: Params | undefined; progressToken: unknown } {
  if (!meta || typeof meta !== 'object') return { meta: undefined, progressToken: undefined };
  const { progressToken, ...rest } = meta as Params;
  const kept: Params = {};
  for (const [key, value] of Object.entries(rest)) {
    if (!key.startsWith(RESERVED_META_PREFIX)) kept[key] = value;
  }
  return { meta: Object.keys(kept).length > 0 ? kept : undefined, progressToken };
}

/**
 * Re-emits upstream progress with the downstream's token (notes §6.2). `flush` waits for the
 * notifications in flight, so none lands after the response (on HTTP the request's stream
 * closes with the response, and a late notification would be lost).
 */
function forwardProgress(ctx: ServerContext, progressToken: unknown) {
  const pending = new Set<Promise<void>>();
  return {
    onprogress:
      progressToken === undefined
        ? undefined
        : (progress: Record<string, unknown>) => {
            const sent = ctx.mcpReq
              .notify({
                method: 'notifications/progress',
                params: { ...progress, progressToken } as never,
              })
              .catch(() => {});
            pending.add(sent);
            void sent.finally(() => pending.delete(sent));
          },
    /** Tracks another notification to wait for in `flush`. */
    track: (sent: Promise<void>) => {
      const settled = sent.catch(() => {});
      pending.add(settled);
      void settled.finally(() => pending.delete(settled));
    },
    flush: async () => {
      await Promise.all(pending);
    },
  };
}

/**
 * The log level of the client behind a request: per request in 2026-07-28 (`_meta` envelope;
 * absent = no log messages), per session (`logging/setLevel`, default everything) in 2025.
 */
function downstreamLogLevel(ctx: ServerContext, session: HubSession): LoggingLevel | undefined {
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  if (envelope !== undefined || session.era === 'modern') {
    return envelope?.[LOG_LEVEL_KEY] as LoggingLevel | undefined;
  }
  return session.logLevel ?? 'debug';
}

/** Whether tool result content holds a `resource_link` or embedded `resource` to map. */
function hasResourceBlocks(content: unknown): boolean {
  if (!Array.isArray(content)) return false;
  for (const block of content as Array<{ type?: unknown }>) {
    if (block?.type === 'resource_link' || block?.type === 'resource') return true;
  }
  return false;
}

function isTransportFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'REQUEST_TIMEOUT' || code === 'CONNECTION_CLOSED' || code === 'SEND_FAILED';
}

/**
 * The SDK `Server`, letting a task-augmented `tools/call` answer with a `CreateTaskResult`
 * (MCP 2025-11-25 tasks): the SDK validates every `tools/call` result as a `CallToolResult`
 * and keeps tasks only as wire vocabulary (notes §8).
 */
class HubServer extends Server {
  protected override _wrapHandler(
    method: string,
    handler: (request: JSONRPCRequest, ctx: ServerContext) => Promise<Result>,
  ): (request: JSONRPCRequest, ctx: ServerContext) => Promise<Result> {
    const wrapped = super._wrapHandler(method, handler);
    if (method !== 'tools/call') return wrapped;
    return (request, ctx) =>
      (request.params as Params | undefined)?.task !== undefined && !ctx.mcpReq.envelope
        ? handler(request, ctx)
        : wrapped(request, ctx);
  }
}

/** Builds the downstream `Server` of one session over the hub core. */
export function createHubSessionServer(core: HubCore, context: HubSessionContext = {}): Server {
  const server = new HubServer(core.settings.serverInfo, {
    capabilities: {
      tools: { listChanged: true },
      prompts: { listChanged: true },
      resources: { subscribe: true, listChanged: true },
      logging: {},
      completions: {},
      tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } },
    },
    instructions: core.settings.instructions,
    inputRequired: { roundTimeoutMs: core.settings.roundTimeoutMs },
    requestState: { verify: (state, ctx) => core.codec.verify(state, ctx) },
  });
  const session: HubSession = {
    server,
    era: context.era ?? 'legacy',
    sessionId: context.sessionId,
    subscriptions: new Set(),
    logLevel: undefined,
    pinned:
      context.era === 'modern' &&
      (context.transport === 'stdio' || context.transport === 'websocket'),
    closed: false,
    principal: context.principal,
    views: new Map(),
  };
  const access = core.settings.access;
  const hubId = core.settings.hubId();
  const { maxHops } = core.settings;
  const principal = (context.principal ?? undefined) as PrincipalLike | undefined;
  server.oninitialized = () => core.addSession(session);
  // On HTTP a 2026-07-28 server lives for one request; its flows outlive it (the retry comes on
  // a new one). On stdio and WebSocket it is pinned to the connection and joins at once.
  if (session.pinned) core.addSession(session);
  if (session.era === 'legacy' || session.pinned) {
    server.onclose = () => void core.removeSession(session);
  }
  const { pageSize } = core.settings;

  /** 2026-07-28 upstreams log per request: stamp the client's level (absent = silent). */
  const withUpstreamLogLevel = (upstream: Upstream, params: Params, ctx: ServerContext): Params => {
    if (upstream.era !== 'modern') return params;
    const level = downstreamLogLevel(ctx, session);
    if (level === undefined) return params;
    return {
      ...params,
      _meta: { ...(params._meta as Params | undefined), [LOG_LEVEL_KEY]: level },
    };
  };

  /**
   * The federation `_meta` of a request forwarded upstream: the hop trail with this hub added,
   * the end user it is made for and a child span of its trace. The incoming trail is checked
   * first: a request that would revisit this hub or exceed max hops is refused, and a peer's
   * trail must be the delegation chain its (verified) token names.
   */
  const federationMeta = (meta: Params | undefined): Params | undefined => {
    if (hubId === undefined) {
      // Not a federated hub: the trail passes as it is, but who the request is for is never
      // the client's claim.
      if (!meta || !(ON_BEHALF_OF_META_KEY in meta)) return meta;
      const { [ON_BEHALF_OF_META_KEY]: _claimed, ...rest } = meta;
      return rest;
    }
    let trail: string[];
    try {
      trail = readHopTrail(meta);
      if (principal?.authMethod === 'peer' && Array.isArray(principal.via)) {
        const chain = [...(principal.via as string[])].reverse();
        if (!sameTrail(trail, chain)) {
          throw new HubError(
            'INVALID_REQUEST',
            `The hop trail [${trail.join(', ')}] does not match the delegation chain of the peer token [${chain.join(', ')}]; the request is refused.`,
            { hopTrail: trail, delegation: chain },
          );
        }
      }
      checkHopTrail(trail, { selfId: hubId, maxHops });
    } catch (error) {
      if (error instanceof HubError) throw error;
      if (FedmcpError.isInstance(error)) {
        throw new HubError(error.code, error.message, (error.data ?? {}) as Params);
      }
      throw error;
    }
    const next: Params = withChildSpan(meta);
    next[HOP_TRAIL_META_KEY] = [...trail, hubId];
    if (typeof principal?.subject === 'string' && principal.subject !== '') {
      // `via` is the delegation this hub verified (a peer's token), never the claimed trail: a
      // peer token minted from it names only hubs that really carried the request.
      const via =
        principal.authMethod === 'peer' && Array.isArray(principal.via)
          ? (principal.via as string[])
          : undefined;
      next[ON_BEHALF_OF_META_KEY] = {
        subject: principal.subject,
        ...(typeof principal.issuer === 'string' && principal.issuer !== ''
          ? { issuer: principal.issuer }
          : {}),
        ...(via && via.length > 0 ? { via } : {}),
      };
    } else {
      delete next[ON_BEHALF_OF_META_KEY];
    }
    return next;
  };

  /**
   * Runs the access hook for a request about to be forwarded: returns the callback recording how
   * it ended, or an `input_required` answer when the user has to be asked (consent) first.
   */
  const gate = async (
    request: Omit<AccessRequest, 'principal' | 'canElicit'>,
    ctx: ServerContext,
  ): Promise<{ finish: Finish } | { reply: Result }> => {
    if (!access?.check && !access?.completed) return { finish: NO_FINISH };
    const full: AccessRequest = {
      ...request,
      principal: context.principal,
      canElicit: supportsElicitationMode(core.clientCapabilities(ctx, session), 'form'),
    };
    let verdict: Awaited<ReturnType<NonNullable<typeof access.check>>> = { kind: 'allow' };
    const state = ctx.mcpReq.requestState<string>();
    try {
      if (state?.startsWith(ASK_STATE)) {
        const id = state.slice(ASK_STATE.length);
        const pending = core.asks.get(id);
        // A question answers for the caller and the call it was asked about, nothing else.
        if (
          pending &&
          (pending.request.action !== full.action ||
            pending.request.target !== full.target ||
            pending.request.upstream !== full.upstream ||
            pending.request.upstreamTarget !== full.upstreamTarget ||
            canonicalJson(pending.request.arguments ?? {}) !==
              canonicalJson(full.arguments ?? {}) ||
            principalKey(pending.request.principal) !== principalKey(full.principal))
        ) {
          throw new HubError(
            'INVALID_PARAMS',
            'This answer belongs to another call or caller; call the tool again to be asked.',
          );
        }
        if (!pending) {
          throw new HubError(
            'INVALID_PARAMS',
            'This consent question is over or expired; call again to be asked again.',
          );
        }
        const response = ctx.mcpReq.inputResponses?.[ACCESS_INPUT_KEY] as ElicitResult | undefined;
        if (!response) {
          throw new HubError(
            'INVALID_PARAMS',
            `The retry carries no answer to "${ACCESS_INPUT_KEY}"; answer the consent question.`,
          );
        }
        core.asks.delete(id);
        clearTimeout(pending.timer);
        verdict = await pending.ask.answer(response);
      } else if (access.check) {
        verdict = await access.check(full);
      }
    } catch (error) {
      const refusal = toDownstreamError(error);
      access.refused?.(full, refusal);
      throw refusal;
    }
    if (verdict.kind === 'deny') {
      access.refused?.(full, verdict.error);
      throw verdict.error;
    }
    if (verdict.kind === 'ask' && !full.canElicit) {
      // Nobody can answer a question the client cannot receive.
      const error = new HubError(
        'CONSENT_REQUIRED',
        `Calling ${full.target} needs an answer from the user, and this client cannot answer questions (no form elicitation).`,
        { target: full.target },
      );
      access.refused?.(full, error);
      throw error;
    }
    if (verdict.kind === 'ask') {
      const asker = principalKey(full.principal);
      let waiting = 0;
      for (const pending of core.asks.values()) {
        if (principalKey(pending.request.principal) === asker) waiting += 1;
      }
      if (core.asks.size >= MAX_PENDING_ASKS || waiting >= MAX_PENDING_ASKS_PER_CALLER) {
        // Unanswered questions are bounded: a client cannot grow the hub's memory with them.
        const error = new HubError(
          'RATE_LIMITED',
          'Too many questions are waiting for answers on this hub; answer or cancel them, then call again.',
          { retryAfterMs: 10_000 },
        );
        access.refused?.(full, error);
        throw error;
      }
      const id = crypto.randomUUID();
      const timer = setTimeout(() => core.asks.delete(id), core.settings.roundTimeoutMs);
      (timer as { unref?: () => void }).unref?.();
      core.asks.set(id, { ask: verdict, request: full, timer });
      return {
        reply: inputRequired({
          inputRequests: {
            [ACCESS_INPUT_KEY]: { method: 'elicitation/create', params: verdict.elicitation },
          } as never,
          requestState: await core.codec.mint(`${ASK_STATE}${id}`, ctx),
        }),
      };
    }
    const started = performance.now();
    const completed = access.completed;
    return {
      finish: completed
        ? (outcome) =>
            completed.call(access, full, {
              ...outcome,
              latencyMs: Math.round((performance.now() - started) * 1000) / 1000,
            })
        : NO_FINISH,
    };
  };

  /** Runs `run` behind the access hook: refused, asked about, or forwarded and recorded. */
  const guarded = async (
    request: Omit<AccessRequest, 'principal' | 'canElicit'>,
    ctx: ServerContext,
    run: () => Promise<Result>,
  ): Promise<Result> => {
    const gated = await gate(request, ctx);
    if ('reply' in gated) return gated.reply;
    try {
      const result = await run();
      gated.finish({ ok: true, result });
      return result;
    } catch (error) {
      gated.finish({ ok: false, error });
      throw error;
    }
  };

  /** The upstream an exposed tool or prompt name belongs to, if any is known. */
  const upstreamOfName = (kind: 'tool' | 'prompt', name: string): Upstream | undefined => {
    const section = kind === 'tool' ? core.catalog.tools : core.catalog.prompts;
    return (
      section.byName.get(name)?.upstream ??
      core.catalog.quarantined.get(name)?.upstream ??
      core
        .list()
        .find(
          (upstream) =>
            upstream.prefix !== false && name.startsWith(`${upstream.prefix}${NAME_SEPARATOR}`),
        )
    );
  };

  /** Waits for a catalog guard review of the lists a name is routed by. */
  const settleReviewOf = async (
    kind: 'tool' | 'prompt',
    name: string,
    signal: AbortSignal,
  ): Promise<void> => {
    if (!core.reviewsInFlight) return; // the common case: nothing to wait for, no lookups
    const upstream = upstreamOfName(kind, name);
    if (upstream && core.reviewPending(upstream.id)) await core.settleReview(upstream.id, signal);
  };

  /**
   * A tools/call as it goes upstream (the tool's own name, the downstream's progress token and
   * era keys out of `_meta`, this hub's federation `_meta` in) and as the access hook sees it.
   */
  const prepareToolCall = (requestParams: Params, route: CatalogRoute<Tool>) => {
    const { name, _meta, ...rest } = requestParams;
    const { meta: stripped, progressToken } = upstreamMeta(_meta);
    const meta = federationMeta(stripped);
    const tool = route.item;
    const access: Omit<AccessRequest, 'principal' | 'canElicit'> = {
      action: 'tools/call',
      target: name as string,
      upstream: route.upstream.id,
      upstreamTarget: route.name,
      ...(rest.arguments ? { arguments: rest.arguments as Params } : {}),
      ...(tool.annotations ? { annotations: tool.annotations as Params } : {}),
      ...(tool.title ? { title: tool.title } : {}),
      ...(tool.description ? { description: tool.description } : {}),
      ...(meta ? { meta } : {}),
    };
    const params: Params = { ...rest, name: route.name, ...(meta ? { _meta: meta } : {}) };
    return { params, access, progressToken };
  };

  /** Refuses a tool or prompt a catalog guard holds back, naming the change. */
  const assertNotQuarantined = (kind: 'tool' | 'prompt', name: string): void => {
    const held = core.catalog.quarantined.get(name);
    if (!held || held.item.kind !== kind) return;
    throw new HubError(
      'POLICY_DENIED',
      `The ${kind} ${name} is quarantined (${held.item.reason}) until an operator reviews it: \`fedmcp tools diff\`, then \`fedmcp tools approve ${held.upstream.id} ${held.item.name}${kind === 'prompt' ? ' --prompt' : ''}\`.`,
      {
        quarantined: true,
        upstream: held.upstream.id,
        reason: held.item.reason,
        ...(held.item.data ?? {}),
      },
    );
  };

  const forward = async (
    upstream: Upstream,
    method: string,
    params: Params,
    ctx: ServerContext,
    connection: UpstreamConnection = upstream.primary(),
  ): Promise<Result> => {
    try {
      const result = await connection.client!.request(
        { method, params: withUpstreamLogLevel(upstream, params, ctx) },
        ResultSchema,
        {
          signal: ctx.mcpReq.signal,
          timeout: upstream.timeoutMs,
          resetTimeoutOnProgress: true,
        },
      );
      upstream.recordSuccess();
      return result;
    } catch (error) {
      if (isTransportFailure(error)) upstream.recordFailure(error);
      throw toDownstreamError(error, upstream.id);
    }
  };

  const mapToolResult = (upstream: Upstream, result: Result): Result =>
    upstream.prefix === false || !hasResourceBlocks(result.content)
      ? result
      : {
          ...result,
          content: mapContentUris(result.content, (uri) => exposeUri(upstream.prefix, uri)),
        };

  // ── lists ──────────────────────────────────────────────────────────────────
  /** A list as this caller may see it: filtered by the access hook when it has `visible`. */
  const listed = <T>(action: HubListAction, all: T[]): T[] =>
    access?.visible ? (core.view(session, action).items as T[]) : all;
  server.setRequestHandler('tools/list', (request) => {
    core.assertOpen();
    const items = listed('tools/list', core.catalog.tools.list);
    const page = paginate(items, 'tools', request.params?.cursor, pageSize);
    return { tools: page.items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  });
  server.setRequestHandler('prompts/list', (request) => {
    core.assertOpen();
    const items = listed('prompts/list', core.catalog.prompts.list);
    const page = paginate(items, 'prompts', request.params?.cursor, pageSize);
    return { prompts: page.items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  });
  server.setRequestHandler('resources/list', (request) => {
    core.assertOpen();
    const items = listed('resources/list', core.catalog.resources.list);
    const page = paginate(items, 'resources', request.params?.cursor, pageSize);
    return { resources: page.items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  });
  server.setRequestHandler('resources/templates/list', (request) => {
    core.assertOpen();
    const items = listed('resources/templates/list', core.catalog.templates.list);
    const page = paginate(items, 'templates', request.params?.cursor, pageSize);
    return {
      resourceTemplates: page.items,
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    };
  });

  // ── tools/call ─────────────────────────────────────────────────────────────
  const driveFlow = async (flow: HubFlow, ctx: ServerContext): Promise<Result> => {
    const upstream = flow.upstream!;
    flow.capabilities = core.clientCapabilities(ctx, session);
    const { progressToken } = upstreamMeta(ctx.mcpReq._meta);
    const progress = forwardProgress(ctx, progressToken);
    flow.onProgress = progress.onprogress;
    const level = downstreamLogLevel(ctx, session);
    flow.onLog =
      level === undefined
        ? undefined
        : (params) => {
            if (LOG_LEVELS.indexOf(params.level as never) < LOG_LEVELS.indexOf(level)) return;
            progress.track(
              ctx.mcpReq.notify({ method: 'notifications/message', params: params as never }),
            );
          };
    if (flow.roundTimer) clearTimeout(flow.roundTimer);
    const event = await flow.next(ctx.mcpReq.signal);
    flow.onProgress = undefined;
    flow.onLog = undefined;
    await progress.flush();
    if (event.type === 'input') {
      for (const question of event.questions) {
        if (question.method === 'elicitation/create')
          core.trackElicitation(upstream, question.params, session);
      }
      flow.roundTimer = setTimeout(
        () => flow.cancel(new HubError('REQUEST_TIMEOUT', 'The client did not answer in time.')),
        core.settings.roundTimeoutMs,
      );
      return inputRequired({
        inputRequests: Object.fromEntries(
          event.questions.map((question) => [
            question.key,
            { method: question.method, params: question.params } as never,
          ]),
        ),
        requestState: await core.codec.mint(flow.id, ctx),
      });
    }
    if (event.type === 'error') {
      if (isTransportFailure(event.error)) upstream.recordFailure(event.error);
      const mapped = toDownstreamError(event.error, upstream.id);
      flow.record?.({ ok: false, error: mapped });
      throw mapped;
    }
    upstream.recordSuccess();
    const result = mapToolResult(upstream, event.result);
    flow.record?.({ ok: true, result });
    return result;
  };

  server.setRequestHandler('tools/call', async (request, ctx) => {
    const state = ctx.mcpReq.requestState<string>();
    if (state !== undefined && !state.startsWith(ASK_STATE)) {
      const flow = core.flows.get(state) as HubFlow | undefined;
      if (!flow || flow.owner !== principalKey(context.principal)) {
        throw new HubError(
          'INVALID_PARAMS',
          'This interactive call is over or expired; call the tool again.',
        );
      }
      flow.resume(ctx.mcpReq.inputResponses ?? {});
      return driveFlow(flow, ctx) as never;
    }
    core.assertOpen();
    // A tool list under review: its verdict decides this call.
    await settleReviewOf('tool', request.params.name, ctx.mcpReq.signal);
    assertNotQuarantined('tool', request.params.name);
    const route = core.catalog.tools.byName.get(request.params.name);
    if (!route) {
      // A withdrawn tool of a down upstream: say so, rather than "unknown".
      const name = request.params.name;
      const down = core
        .list()
        .find(
          (upstream) =>
            !upstream.available &&
            upstream.prefix !== false &&
            name.startsWith(`${upstream.prefix}${NAME_SEPARATOR}`),
        );
      if (down) throw down.unavailable();
      throw new HubError('NOT_FOUND', `Unknown tool: ${request.params.name}`, {
        name: request.params.name,
      });
    }
    const upstream = route.upstream;
    if (!upstream.available) throw upstream.unavailable();
    const prepared = prepareToolCall(request.params as Params, route);
    const { progressToken } = prepared;
    const params = withUpstreamLogLevel(upstream, prepared.params, ctx);
    const signal = ctx.mcpReq.signal;
    const gated = await gate(prepared.access, ctx);
    if ('reply' in gated) return gated.reply as never;
    const { finish } = gated;

    if (params.task !== undefined) {
      if (session.era === 'modern' && !session.pinned) {
        // Tasks are 2025-11-25 vocabulary, bound to a session; a 2026-07-28 HTTP request has none.
        const error = new HubError(
          'METHOD_NOT_FOUND',
          'Task-augmented calls are served to 2025-11-25 sessions only.',
        );
        finish({ ok: false, error });
        throw error;
      }
      // MCP 2025-11-25 tasks: forward params.task only where the upstream and the tool allow it (§6.5).
      const support = route.item.execution?.taskSupport;
      if (
        !upstream.serverCapabilities.tasks?.requests?.tools?.call ||
        !support ||
        support === 'forbidden'
      ) {
        const error = new HubError(
          'METHOD_NOT_FOUND',
          `Tool ${request.params.name} does not support task augmentation.`,
        );
        finish({ ok: false, error });
        throw error;
      }
      try {
        const created = await upstream
          .primary()
          .client!.request({ method: 'tools/call', params }, CreateTaskResultSchema, {
            signal,
            timeout: upstream.timeoutMs,
          });
        const taskId = exposeTaskId(upstream.id, created.task.taskId);
        core.taskOwners.set(taskId, session);
        const result = { ...created, task: { ...created.task, taskId } };
        finish({ ok: true, result });
        return result as never;
      } catch (error) {
        const mapped = toDownstreamError(error, upstream.id);
        finish({ ok: false, error: mapped });
        throw mapped;
      }
    }

    const capabilities = core.clientCapabilities(ctx, session);
    // A 2026-07-28 upstream logs on the call's own stream, but one shared connection mixes every
    // caller's messages: a client that asked for logs leases a connection so they reach it alone.
    const wantsLogs =
      upstream.era === 'modern' &&
      (session.era === 'legacy' ? session.logLevel : downstreamLogLevel(ctx, session)) !==
        undefined;
    const interactive = Boolean(
      capabilities.sampling || capabilities.elicitation || capabilities.roots || wantsLogs,
    );
    const owner =
      upstream.options.isolation === 'per-session' && session.era === 'legacy'
        ? session
        : undefined;
    const connection = await upstream
      .acquire(interactive, owner, signal)
      .catch((error: unknown) => {
        // Opening an extra connection failed: the upstream is unavailable for this call.
        const mapped = toDownstreamError(error, upstream.id);
        const refused =
          (mapped as { code?: unknown }).code === -32603
            ? new HubError(
                'UPSTREAM_UNAVAILABLE',
                `Could not open a connection to upstream "${upstream.id}": ${mapped.message}`,
                { upstream: upstream.id },
              )
            : mapped;
        finish({ ok: false, error: refused });
        throw refused;
      });

    if (!interactive) {
      const progress = forwardProgress(ctx, progressToken);
      try {
        const result = await connection.client!.request(
          { method: 'tools/call', params },
          ResultSchema,
          {
            signal,
            timeout: upstream.timeoutMs,
            resetTimeoutOnProgress: true,
            onprogress: progress.onprogress,
          },
        );
        upstream.recordSuccess();
        await progress.flush();
        const mapped = mapToolResult(upstream, result);
        finish({ ok: true, result: mapped });
        return mapped as never;
      } catch (error) {
        if (isTransportFailure(error)) upstream.recordFailure(error);
        const mapped = toDownstreamError(error, upstream.id);
        finish({ ok: false, error: mapped });
        throw mapped;
      } finally {
        upstream.release(connection, false);
      }
    }

    const flow: HubFlow = new Flow({
      onFinish: (finished) => {
        core.flows.delete(finished.id);
        if (connection.flow === finished) connection.flow = undefined;
        upstream.release(connection, true);
      },
    });
    flow.session = session;
    flow.upstream = upstream;
    flow.capabilities = capabilities;
    flow.record = finish;
    flow.owner = principalKey(context.principal);
    connection.flow = flow;
    core.flows.set(flow.id, flow);
    flow.run((flowSignal) =>
      connection.client!.request({ method: 'tools/call', params }, ResultSchema, {
        signal: flowSignal,
        timeout: upstream.timeoutMs,
        resetTimeoutOnProgress: true,
        onprogress: (progress) => flow.onProgress?.(progress as Params),
      }),
    );
    return driveFlow(flow, ctx) as never;
  });

  // ── prompts, resources, completion ─────────────────────────────────────────
  server.setRequestHandler('prompts/get', async (request, ctx) => {
    core.assertOpen();
    await settleReviewOf('prompt', request.params.name, ctx.mcpReq.signal);
    assertNotQuarantined('prompt', request.params.name);
    const route = core.catalog.prompts.byName.get(request.params.name);
    if (!route) throw new HubError('NOT_FOUND', `Unknown prompt: ${request.params.name}`);
    const meta = federationMeta(upstreamMeta(request.params._meta).meta);
    const prompt = route.item;
    return (await guarded(
      {
        action: 'prompts/get',
        target: request.params.name,
        upstream: route.upstream.id,
        upstreamTarget: route.name,
        ...(request.params.arguments ? { arguments: request.params.arguments as Params } : {}),
        ...(prompt.title ? { title: prompt.title } : {}),
        ...(prompt.description ? { description: prompt.description } : {}),
        ...(meta ? { meta } : {}),
      },
      ctx,
      async () => {
        const result = await forward(
          route.upstream,
          'prompts/get',
          { ...request.params, name: route.name, _meta: meta },
          ctx,
        );
        const prefix = route.upstream.prefix;
        if (prefix === false || !Array.isArray(result.messages)) return result;
        return {
          ...result,
          messages: (result.messages as Array<{ content: unknown }>).map((message) => ({
            ...message,
            content: mapContentUris([message.content], (uri) => exposeUri(prefix, uri))[0],
          })),
        };
      },
    )) as never;
  });

  server.setRequestHandler('resources/read', async (request, ctx) => {
    core.assertOpen();
    const { upstream, uri } = core.catalog.routeUri(request.params.uri, core.list());
    const meta = federationMeta(upstreamMeta(request.params._meta).meta);
    return (await guarded(
      {
        action: 'resources/read',
        target: request.params.uri,
        upstream: upstream.id,
        upstreamTarget: uri,
        ...(meta ? { meta } : {}),
      },
      ctx,
      async () => {
        const result = await forward(
          upstream,
          'resources/read',
          { ...request.params, uri, _meta: meta },
          ctx,
        );
        if (upstream.prefix === false || !Array.isArray(result.contents)) return result;
        return {
          ...result,
          contents: (result.contents as Array<{ uri: string }>).map((content) => ({
            ...content,
            uri: exposeUri(upstream.prefix, content.uri),
          })),
        };
      },
    )) as never;
  });

  server.setRequestHandler('resources/subscribe', async (request, ctx) => {
    const { upstream, uri } = core.catalog.routeUri(request.params.uri, core.list());
    return (await guarded(
      {
        action: 'resources/subscribe',
        target: request.params.uri,
        upstream: upstream.id,
        upstreamTarget: uri,
      },
      ctx,
      async () => {
        await core.subscribe(session, request.params.uri);
        return {};
      },
    )) as never;
  });
  server.setRequestHandler('resources/unsubscribe', async (request) => {
    await core.unsubscribe(session, request.params.uri);
    return {};
  });

  server.setRequestHandler('completion/complete', async (request, ctx) => {
    const ref = request.params.ref as { type: string; name?: string; uri?: string };
    let upstream: Upstream;
    let upstreamRef: Params;
    if (ref.type === 'ref/prompt') {
      const route = core.catalog.prompts.byName.get(ref.name ?? '');
      if (!route) throw new HubError('NOT_FOUND', `Unknown prompt: ${ref.name}`);
      upstream = route.upstream;
      upstreamRef = { ...ref, name: route.name };
    } else {
      const template = core.catalog.templates.byName.get(ref.uri ?? '');
      const routed = template
        ? { upstream: template.upstream, uri: template.name }
        : core.catalog.routeUri(ref.uri ?? '', core.list());
      upstream = routed.upstream;
      upstreamRef = { ...ref, uri: routed.uri };
    }
    const target = (ref.type === 'ref/prompt' ? ref.name : ref.uri) ?? '';
    return (await guarded(
      {
        action: 'completion/complete',
        target,
        upstream: upstream.id,
        upstreamTarget: String(upstreamRef.name ?? upstreamRef.uri ?? ''),
      },
      ctx,
      async () => {
        // MCP 2025-11-25 utilities/completion: no completions upstream → an empty answer, locally.
        if (!upstream.serverCapabilities.completions) return { completion: { values: [] } };
        const meta = federationMeta(upstreamMeta(request.params._meta).meta);
        return forward(
          upstream,
          'completion/complete',
          { ...request.params, ref: upstreamRef, ...(meta ? { _meta: meta } : {}) },
          ctx,
        );
      },
    )) as never;
  });

  server.setRequestHandler('logging/setLevel', (request) => {
    session.logLevel = request.params.level;
    core.applyLogLevel();
    return {};
  });

  server.setNotificationHandler('notifications/roots/list_changed', () => {
    core.forwardRootsListChanged(session);
  });

  // ── tasks (2025-11-25) ─────────────────────────────────────────────────────
  const routeTask = (taskId: unknown): { upstream: Upstream; taskId: string } => {
    // Another session's task is answered as if it did not exist (§6.5: bound to the requestor).
    if (typeof taskId === 'string' && core.taskOwners.get(taskId) === session) {
      for (const upstream of core.list()) {
        const head = `${upstream.id}${NAME_SEPARATOR}`;
        if (taskId.startsWith(head)) return { upstream, taskId: taskId.slice(head.length) };
      }
    }
    throw new HubError('INVALID_PARAMS', `Unknown task: ${String(taskId)}`);
  };
  const exposeTask = (upstream: Upstream, result: Result): Result => {
    const mapped: Params = { ...result };
    if (typeof mapped.taskId === 'string') mapped.taskId = exposeTaskId(upstream.id, mapped.taskId);
    const meta = mapped._meta as Params | undefined;
    const related = meta?.[RELATED_TASK] as { taskId?: string } | undefined;
    if (meta && related?.taskId) {
      mapped._meta = {
        ...meta,
        [RELATED_TASK]: { ...related, taskId: exposeTaskId(upstream.id, related.taskId) },
      };
    }
    if (Array.isArray(mapped.content)) return mapToolResult(upstream, mapped as Result);
    return mapped as Result;
  };
  for (const method of ['tasks/get', 'tasks/result', 'tasks/cancel'] as const) {
    server.setRequestHandler(method, { params: z.looseObject({}) }, async (params, ctx) => {
      const { upstream, taskId } = routeTask(params.taskId);
      // The client's io.fedmcp/ keys are never passed on as they are: this hub writes its own.
      const { _meta, ...rest } = params;
      const meta = federationMeta(upstreamMeta(_meta).meta);
      const result = await forward(
        upstream,
        method,
        { ...rest, taskId, ...(meta ? { _meta: meta } : {}) },
        ctx,
      );
      return exposeTask(upstream, result);
    });
  }
  server.setRequestHandler('tasks/list', { params: z.looseObject({}) }, async (_params, ctx) => {
    const tasks: unknown[] = [];
    for (const upstream of core.list()) {
      if (!upstream.available || !upstream.serverCapabilities.tasks?.list) continue;
      const head = `${upstream.id}${NAME_SEPARATOR}`;
      let owns = false;
      for (const [taskId, owner] of core.taskOwners) {
        if (owner === session && taskId.startsWith(head)) owns = true;
      }
      if (!owns) continue; // nothing of this session's there: no upstream round trip
      let cursor: unknown;
      for (let page = 0; page < 32; page++) {
        const result = await forward(upstream, 'tasks/list', cursor ? { cursor } : {}, ctx);
        for (const task of (result.tasks as Params[] | undefined) ?? []) {
          const taskId = exposeTaskId(upstream.id, String(task.taskId));
          // Only the requestor's own tasks (§6.5); the upstream sees one client, the hub.
          if (core.taskOwners.get(taskId) === session) tasks.push({ ...task, taskId });
        }
        cursor = result.nextCursor;
        if (!cursor) break;
      }
    }
    return { tasks };
  });

  // ── the forwarding fast path (2025-era HTTP sessions; see McpFastRequestHandler) ─────────
  // A plain tools/call (no progress token, no task) of a client that can answer no questions,
  // to a shared 2025-era upstream, is relayed as raw JSON-RPC (no SDK decode and re-encode on
  // either side) and answered by the host as one JSON response. The access hook, federation
  // `_meta`, URI mapping, timeouts, cancellation and the circuit breaker apply as on the normal
  // path; anything else declines (`undefined`) and takes the SDK path.
  const fastCtx = {
    mcpReq: { envelope: undefined, requestState: () => undefined, inputResponses: undefined },
  } as unknown as ServerContext;
  (server as unknown as Record<symbol, unknown>)[MCP_FAST_REQUEST] = (
    message: JSONRPCRequest,
    extra: McpFastRequestExtra,
  ): Promise<JSONRPCResponse | undefined> | undefined => {
    if (message.method !== 'tools/call' || session.era !== 'legacy' || session.closed)
      return undefined;
    const requestParams = (message.params ?? {}) as Params;
    const name = requestParams.name;
    if (typeof name !== 'string' || requestParams.task !== undefined) return undefined;
    const incomingMeta = requestParams._meta as Params | undefined;
    if (incomingMeta !== undefined && incomingMeta.progressToken !== undefined) return undefined;
    const capabilities = session.server.getClientCapabilities();
    if (!capabilities || capabilities.sampling || capabilities.elicitation || capabilities.roots) {
      return undefined;
    }
    if (core.catalog.quarantined.has(name)) return undefined;
    const route = core.catalog.tools.byName.get(name);
    if (!route) return undefined;
    const upstream = route.upstream;
    if (
      core.reviewPending(upstream.id) ||
      !upstream.available ||
      upstream.era !== 'legacy' ||
      upstream.options.isolation === 'per-session'
    ) {
      return undefined;
    }
    const id = message.id;
    return (async (): Promise<JSONRPCResponse | undefined> => {
      let finish: Finish = NO_FINISH;
      try {
        core.assertOpen();
        const { params, access: request } = prepareToolCall(requestParams, route);
        // Fast-path clients declared no elicitation, so the gate never asks them: allow or throw.
        const gated = await gate(request, fastCtx);
        if ('reply' in gated) throw new HubError('INTERNAL', 'A question reached the fast path.');
        finish = gated.finish;
        const connection = await upstream.acquire(false, undefined, extra.signal);
        let response: JSONRPCResponse;
        try {
          response = await connection.rawRequest('tools/call', params, {
            signal: extra.signal,
            timeoutMs: upstream.timeoutMs,
          });
        } finally {
          upstream.release(connection, false);
        }
        upstream.recordSuccess();
        if ('error' in response) {
          const error = response.error as { code: number; message: string; data?: unknown };
          finish({
            ok: false,
            error: ProtocolError.fromError(error.code, error.message, error.data),
          });
          return { jsonrpc: '2.0', id, error } as JSONRPCResponse;
        }
        const result = mapToolResult(upstream, response.result as Result);
        finish({ ok: true, result });
        return { jsonrpc: '2.0', id, result } as JSONRPCResponse;
      } catch (error) {
        if (isTransportFailure(error)) upstream.recordFailure(error);
        const mapped = toDownstreamError(error, upstream.id) as Error & {
          code?: number;
          data?: unknown;
        };
        finish({ ok: false, error: mapped });
        return {
          jsonrpc: '2.0',
          id,
          error: {
            code: typeof mapped.code === 'number' ? mapped.code : -32603,
            message: mapped.message,
            ...(mapped.data === undefined ? {} : { data: mapped.data }),
          },
        } as JSONRPCResponse;
      }
    })();
  };

  return server;
}
