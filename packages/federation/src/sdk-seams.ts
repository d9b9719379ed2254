/**
 * Every place the hub reaches into the MCP SDK (v2, 2.4.0) beyond its typed public API, in one
 * file. Each seam says which SDK behaviour it works around and is pinned by a test in
 * `sdk-seams.test.ts` that fails when the SDK changes under it. Everywhere else the hub throws
 * `FedmcpError`s; they become the SDK's `ProtocolError` here, where the hub answers the SDK.
 */
import { FedmcpError } from '@fedmcp/protocol';
import type {
  Client,
  JSONRPCMessage,
  JSONRPCResponse,
  Transport,
} from '@modelcontextprotocol/client';
import type {
  Implementation,
  JSONRPCRequest,
  Result,
  ServerContext,
  ServerOptions,
} from '@modelcontextprotocol/server';
import { inputRequired, ProtocolError, Server } from '@modelcontextprotocol/server';

type Params = Record<string, unknown>;

/**
 * The SDK error a `FedmcpError` is answered as: its wire code, message and `data`
 * (`fedmcpCode` and details, or an upstream's own data relayed unchanged). Anything else is
 * returned as it is (the SDK answers it as it always does).
 */
export function toProtocolError(error: unknown): unknown {
  if (!FedmcpError.isInstance(error)) return error;
  const wire = error.toJsonRpcError();
  return new ProtocolError(wire.code, wire.message, wire.data);
}

/**
 * Installs a session's handlers on first use (see {@link HubServer}): most idle sessions never
 * call most methods, and each registered handler costs a few closures and their contexts.
 */
export interface HandlerInstaller {
  /** Every request and notification method {@link install} registers. */
  readonly methods: ReadonlySet<string>;
  /** Registers the handlers of the group `method` belongs to; nothing for another method. */
  install(server: HubServer, method: string): void;
}

/** The SDK `Protocol`'s handler tables (private fields of SDK 2.4.0). */
interface HandlerTables {
  _requestHandlers: Map<string, unknown>;
  _notificationHandlers: Map<string, unknown>;
  _customSchemaRequestMethods: Set<string>;
}

/** A handler table that installs the handlers of a method the first time it is looked up. */
class LazyHandlers<V> extends Map<string, V> {
  constructor(
    private readonly server: HubServer,
    private readonly installer: HandlerInstaller,
    entries: Map<string, V>,
  ) {
    super();
    // The SDK's own handlers stay, but not those the installer replaces (logging/setLevel).
    for (const [method, value] of entries)
      if (!installer.methods.has(method)) super.set(method, value);
  }

  override get(method: string): V | undefined {
    const found = super.get(method);
    if (found !== undefined || !this.installer.methods.has(method)) return found;
    this.installer.install(this.server, method);
    return super.get(method);
  }
}

/** The methods registered with schemas; the SDK asks before it looks the handler up. */
class LazyMethodSet extends Set<string> {
  constructor(
    private readonly server: HubServer,
    private readonly installer: HandlerInstaller,
    private readonly handlers: Map<string, unknown>,
  ) {
    super();
  }

  override has(method: string): boolean {
    if (super.has(method)) return true;
    // Not yet installed (a method registered without schemas is installed and still not here).
    if (this.installer.methods.has(method) && !this.handlers.has(method)) {
      this.installer.install(this.server, method);
    }
    return super.has(method);
  }
}

/**
 * Seam 1 — the SDK `Server`, with the hub's changes to how handlers are kept and wrapped:
 * - given a {@link HandlerInstaller}, the `Protocol`'s handler tables (`_requestHandlers`,
 *   `_notificationHandlers`, `_customSchemaRequestMethods`, private in SDK 2.4.0, read by its
 *   dispatch with `get` and `has`) install a method's handlers when a message first asks for it,
 *   so an idle session holds none of them;
 * - its `LOG_LEVEL_SEVERITY` table (the same for every server) is shared;
 * - a task-augmented `tools/call` may answer with a `CreateTaskResult` (MCP 2025-11-25 tasks):
 *   `Server._wrapHandler` validates every `tools/call` result as a `CallToolResult`, since the
 *   SDK keeps tasks only as wire vocabulary;
 * - a thrown `FedmcpError` is answered with its own JSON-RPC code and data: the SDK reads
 *   `error.code` as the wire code, and ours is a string.
 */
export class HubServer extends Server {
  constructor(info: Implementation, options: ServerOptions, installer?: HandlerInstaller) {
    super(info, options);
    const self = this as unknown as { LOG_LEVEL_SEVERITY: unknown };
    logLevelSeverity ??= self.LOG_LEVEL_SEVERITY;
    self.LOG_LEVEL_SEVERITY = logLevelSeverity;
    if (installer) {
      const tables = this as unknown as HandlerTables;
      const requests = new LazyHandlers(this, installer, tables._requestHandlers);
      tables._requestHandlers = requests;
      tables._notificationHandlers = new LazyHandlers(
        this,
        installer,
        tables._notificationHandlers,
      );
      tables._customSchemaRequestMethods = new LazyMethodSet(this, installer, requests);
    }
  }

  protected override _wrapHandler(
    method: string,
    handler: (request: JSONRPCRequest, ctx: ServerContext) => Promise<Result>,
  ): (request: JSONRPCRequest, ctx: ServerContext) => Promise<Result> {
    const wrapped = super._wrapHandler(method, handler);
    if (method !== 'tools/call') return answerAsProtocolError(wrapped);
    return answerAsProtocolError((request, ctx) =>
      (request.params as Params | undefined)?.task !== undefined && !ctx.mcpReq.envelope
        ? handler(request, ctx)
        : wrapped(request, ctx),
    );
  }
}

/** The SDK's level → severity table, one for all hub servers. */
let logLevelSeverity: unknown;

/** A handler whose thrown `FedmcpError` becomes the SDK's `ProtocolError`. */
function answerAsProtocolError(
  handler: (request: JSONRPCRequest, ctx: ServerContext) => Promise<Result>,
): (request: JSONRPCRequest, ctx: ServerContext) => Promise<Result> {
  return async (request, ctx) => {
    try {
      return await handler(request, ctx);
    } catch (error) {
      throw toProtocolError(error);
    }
  };
}

/** A request handler of the hub: params in, any MCP result (or `input_required`) out. */
export type HubRequestHandler = (
  request: { params?: Params & { _meta?: Params } },
  ctx: ServerContext,
) => Result | Promise<Result>;

/**
 * Seam 2 — registers a handler for a spec method whose result the hub builds from an upstream's
 * answer (a `Result` the SDK validates on the way out) or an `input_required` round. The SDK
 * types each method's handler with that method's own result type; the hub forwards results it
 * does not re-type.
 */
export function setHubRequestHandler(
  server: Server,
  method: string,
  handler: HubRequestHandler,
): void {
  const register = server.setRequestHandler as unknown as (
    method: string,
    handler: HubRequestHandler,
  ) => void;
  register.call(server, method, handler);
}

/** One question of an `input_required` round, keyed in `inputRequests`. */
export interface InputQuestion {
  method: string;
  params: Params;
}

/**
 * Seam 3 — an `input_required` result (MCP 2026-07-28 multi-round-trip) for questions whose
 * params the hub relays from an upstream or builds itself; the SDK's `inputRequired` types each
 * request's params by method.
 */
export function inputRequiredReply(
  questions: Record<string, InputQuestion>,
  requestState: string,
): Result {
  const build = inputRequired as unknown as (options: {
    inputRequests: Record<string, InputQuestion>;
    requestState: string;
  }) => Result;
  return build({ inputRequests: questions, requestState });
}

/**
 * Seam 4 — sends a notification on the request's own stream with params relayed from upstream
 * (progress, log messages); `ctx.mcpReq.notify` types params per notification method.
 */
export function notifyOnRequest(ctx: ServerContext, method: string, params: Params): Promise<void> {
  const notify = ctx.mcpReq.notify as unknown as (notification: {
    method: string;
    params: Params;
  }) => Promise<void>;
  return notify({ method, params });
}

/** The server→client requests an upstream may send while serving a call. */
export type ServerRequestMethod = 'sampling/createMessage' | 'elicitation/create' | 'roots/list';

/**
 * Seam 5 — pushes a server→client request relayed from an upstream to a 2025-era client, with
 * the upstream's params as they are (`Server.createMessage`, `elicitInput` and `listRoots`
 * type them; the hub relays, so the client's answer is what validates).
 */
export function pushToClient(
  server: Server,
  method: ServerRequestMethod,
  params: Params,
): Promise<unknown> {
  const push =
    method === 'roots/list'
      ? server.listRoots
      : method === 'sampling/createMessage'
        ? server.createMessage
        : server.elicitInput;
  return (push as unknown as (params: Params) => Promise<unknown>).call(server, params);
}

/**
 * Seam 6 — answers an upstream's server→client requests (sampling, elicitation, roots) with the
 * hub's handler, whatever the params (the handler relays them). A thrown `FedmcpError` goes back
 * upstream as its JSON-RPC error.
 */
export function answerServerRequests(
  client: Client,
  handler: (method: ServerRequestMethod, params: Params) => Promise<unknown>,
): void {
  const register = client.setRequestHandler as unknown as (
    method: string,
    handler: (request: { params?: Params }) => Promise<unknown>,
  ) => void;
  for (const method of ['sampling/createMessage', 'elicitation/create', 'roots/list'] as const) {
    register.call(client, method, async (request) => {
      try {
        return await handler(method, request.params ?? {});
      } catch (error) {
        throw toProtocolError(error);
      }
    });
  }
}

/** Raw JSON-RPC ids the hub sends itself start with this: strings never meet the SDK's numbers. */
export const RAW_ID_PREFIX = 'fedmcp-raw-';
/** Transports whose inbound messages already pass through {@link interceptResponses}. */
const intercepted = new WeakSet<Transport>();

/** Whether {@link interceptResponses} already wraps a transport. */
export function isIntercepted(transport: Transport): boolean {
  return intercepted.has(transport);
}

/**
 * Seam 7 — wraps the inbound side of an upstream connection's transport (`transport.onmessage`,
 * which the SDK's `Protocol.connect` sets):
 * - responses to the hub's raw requests (ids starting with {@link RAW_ID_PREFIX}) go to
 *   `onRawResponse`, never to the SDK client (which would not know their ids), and so does their
 *   progress (`notifications/progress` whose token is such an id) to `onRawProgress`;
 * - SDK 2.4.0 dispatches inbound notifications on a microtask but settles responses at once, so
 *   a progress notification read in the same tick as its call's result would be dropped (the
 *   result removes the progress handler first). Delivering responses one microtask later keeps
 *   the wire order.
 */
export function interceptResponses(
  transport: Transport,
  onRawResponse: (id: string, response: JSONRPCResponse) => void,
  onRawProgress?: (token: string, params: Record<string, unknown>) => void,
  /** Sees each other inbound notification first; `true` keeps it from the SDK client. */
  onNotification?: (method: string, params: Record<string, unknown>) => boolean,
): void {
  const deliver = transport.onmessage;
  if (!deliver || intercepted.has(transport)) return;
  intercepted.add(transport);
  transport.onmessage = (message: JSONRPCMessage, extra) => {
    if ('id' in message && !('method' in message)) {
      const id = message.id;
      if (typeof id === 'string' && id.startsWith(RAW_ID_PREFIX)) {
        onRawResponse(id, message as JSONRPCResponse);
        return;
      }
      queueMicrotask(() => deliver(message, extra));
      return;
    }
    if (onNotification && 'method' in message && !('id' in message)) {
      // Notifications on a listen stream the hub opened raw (the 2026 tasks extension's
      // `notifications/tasks`, and progress tied to a task after its call was answered).
      if (onNotification(message.method, (message.params ?? {}) as Record<string, unknown>)) return;
    }
    if (
      onRawProgress &&
      'method' in message &&
      message.method === 'notifications/progress' &&
      !('id' in message)
    ) {
      const params = (message.params ?? {}) as Record<string, unknown>;
      const token = params.progressToken;
      if (typeof token === 'string' && token.startsWith(RAW_ID_PREFIX)) {
        onRawProgress(token, params);
        return;
      }
    }
    deliver(message, extra);
  };
}
