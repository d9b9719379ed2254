/**
 * OpenTelemetry spans of forwarded requests, through `@opentelemetry/api` only: they record
 * nothing until an application registers a tracer provider (`@fedmcp/server` does, from its
 * `telemetry.traces` config), so the library stays light and edge-safe.
 *
 * At every hub a request the gate sees gets a server span, whose parent is the W3C trace context
 * its caller sent — in `_meta` (MCP SEP-414, as the previous hub writes it) or else the HTTP
 * `traceparent` header. Each upstream request made for it gets a client span, and the upstream
 * receives the client span's context as its `_meta.traceparent`: the next hub's server span is
 * its child, so one trace covers every hop. Names and attributes follow the OpenTelemetry
 * semantic conventions for MCP (`{mcp.method.name} {target}`, `mcp.*`, `gen_ai.*`).
 *
 * The gate and the call stage are linked by the `traceparent` the meta stage wrote for the
 * upstream (a string that survives every copy of `params`); without recording spans, the call
 * stage does one size check and allocates nothing.
 */
import {
  FEDMCP_VERSION,
  FedmcpError,
  parseTraceparent,
  TRACEPARENT_META_KEY,
} from '@fedmcp/protocol';
import {
  type Attributes,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TraceFlags,
  trace,
} from '@opentelemetry/api';

type Params = Record<string, unknown>;

const tracer = trace.getTracer('@fedmcp/federation', FEDMCP_VERSION);
/** The API's no-op provider: what the global provider delegates to until an SDK registers one. */
const NO_PROVIDER = new ProxyTracerProvider().getDelegate();

/** Whether an SDK registered a tracer provider; without one a request costs no span at all. */
function providerRegistered(): boolean {
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegate() !== NO_PROVIDER;
}

/** Recording server spans of requests in flight, by the `traceparent` sent upstream for them. */
const serverSpans = new Map<string, Span>();

/** Spans kept for requests in flight; beyond it the oldest is ended (a request never finished). */
const MAX_OPEN_SPANS = 10_000;

function endOldestSpan(): void {
  const [key, span] = serverSpans.entries().next().value as [string, Span];
  serverSpans.delete(key);
  span.setStatus({ code: SpanStatusCode.ERROR, message: 'The request never finished here.' });
  span.end();
}

/** Whether requests in flight here have recording spans (a registered SDK samples them). */
export function isRecordingRequests(): boolean {
  return serverSpans.size > 0;
}

/** What the gate knows of a request when it starts its span. */
export interface SpannedRequest {
  action: string;
  target: string;
  upstream: string;
  upstreamTarget: string;
  /** The `_meta` as it goes upstream (the meta stage's `traceparent` links the client span). */
  meta?: Params | undefined;
}

/** What the gate reads of the request's context (the SDK's `ServerContext` fits). */
export interface SpanSource {
  /** The request as the caller sent it: its `_meta` (trace context) and JSON-RPC id. */
  mcpReq: { _meta?: Params | undefined; id?: unknown };
  /** The HTTP request that carried it, if any (its `traceparent` header). */
  http?: { req?: { headers: { get(name: string): string | null } } | undefined } | undefined;
  sessionId?: string | undefined;
}

function parentContext(source: SpanSource) {
  const fromMeta = source.mcpReq._meta?.[TRACEPARENT_META_KEY];
  const header = fromMeta === undefined ? source.http?.req?.headers.get('traceparent') : undefined;
  const parsed = parseTraceparent(fromMeta ?? header);
  if (!parsed) return ROOT_CONTEXT;
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: parsed.traceId,
    spanId: parsed.parentId,
    traceFlags: (parsed.sampled ? 1 : 0) as TraceFlags,
    isRemote: true,
  });
}

const SERVER_SPAN = { kind: SpanKind.SERVER };

/** `{mcp.method.name} {target}`, the target only where it has low cardinality (not URIs). */
function spanName(action: string, target: string): string {
  return action === 'tools/call' || action === 'prompts/get' ? `${action} ${target}` : action;
}

/** The semantic-convention attributes of a request to `target`. */
function requestAttributes(action: string, target: string, upstream: string): Attributes {
  const attributes: Attributes = { 'mcp.method.name': action, 'fedmcp.upstream.id': upstream };
  if (action === 'tools/call') {
    attributes['gen_ai.tool.name'] = target;
    attributes['gen_ai.operation.name'] = 'execute_tool';
  } else if (action === 'prompts/get') {
    attributes['gen_ai.prompt.name'] = target;
  } else if (action.startsWith('resources/')) {
    attributes['mcp.resource.uri'] = target;
  }
  return attributes;
}

/**
 * Starts the server span of a request the gate is deciding; `undefined` when nothing records
 * (no tracer provider registered, or not sampled).
 */
export function startRequestSpan(request: SpannedRequest, source: SpanSource): Span | undefined {
  if (!providerRegistered()) return undefined;
  // Named and described once it is known to record: an unsampled request costs one no-op span.
  const span = tracer.startSpan(request.action, SERVER_SPAN, parentContext(source));
  if (!span.isRecording()) return undefined;
  span.updateName(spanName(request.action, request.target));
  const attributes = requestAttributes(request.action, request.target, request.upstream);
  const id = source.mcpReq.id;
  if (typeof id === 'string' || typeof id === 'number')
    attributes['jsonrpc.request.id'] = String(id);
  if (source.sessionId) attributes['mcp.session.id'] = source.sessionId;
  span.setAttributes(attributes);
  const key = request.meta?.[TRACEPARENT_META_KEY];
  if (typeof key === 'string') {
    if (serverSpans.size >= MAX_OPEN_SPANS) endOldestSpan();
    serverSpans.set(key, span);
  }
  return span;
}

/**
 * The `_meta` the access hook sees for a spanned request: its `traceparent` names the server
 * span, so the audit record's trace id is the exported trace's, also for a request that started
 * a trace at this hub. Does not modify `meta` (the upstream request keeps its own).
 */
export function spanMeta(meta: Params | undefined, span: Span): Params {
  return { ...meta, [TRACEPARENT_META_KEY]: traceparentOf(span) };
}

function traceparentOf(span: Span): string {
  const { traceId, spanId, traceFlags } = span.spanContext();
  return `00-${traceId}-${spanId}-${(traceFlags & 1) === 1 ? '01' : '00'}`;
}

/** How a spanned request or upstream call ended. */
export interface SpanOutcome {
  ok: boolean;
  error?: unknown;
  result?: unknown;
}

function recordOutcome(span: Span, outcome: SpanOutcome): void {
  if (!outcome.ok) {
    const error = FedmcpError.from(outcome.error);
    span.setAttributes({
      'error.type': error.code,
      'rpc.response.status_code': String(error.jsonRpcCode),
    });
    span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
  } else if ((outcome.result as { isError?: unknown } | undefined)?.isError === true) {
    // A tool that reported an error (isError) answered, but the call failed.
    span.setAttribute('error.type', 'tool_error');
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
}

/** Ends a request's server span with its outcome. */
export function endRequestSpan(span: Span, request: SpannedRequest, outcome: SpanOutcome): void {
  const key = request.meta?.[TRACEPARENT_META_KEY];
  if (typeof key === 'string' && serverSpans.get(key) === span) serverSpans.delete(key);
  recordOutcome(span, outcome);
  span.end();
}

/** An upstream request with its client span; `params` carry the span's context. */
export interface SpannedCall {
  span: Span;
  params: Params;
}

/**
 * Starts the client span of an upstream request made for a spanned request (see the file
 * comment), or returns `undefined` (then send `params` unchanged).
 */
export function startCallSpan(
  upstream: string,
  method: string,
  params: Params,
): SpannedCall | undefined {
  if (serverSpans.size === 0) return undefined;
  const meta = params._meta as Params | undefined;
  const key = meta?.[TRACEPARENT_META_KEY];
  const parent = typeof key === 'string' ? serverSpans.get(key) : undefined;
  if (!parent) return undefined;
  const target = String(params.name ?? params.uri ?? '');
  const span = tracer.startSpan(
    spanName(method, target),
    { kind: SpanKind.CLIENT, attributes: requestAttributes(method, target, upstream) },
    trace.setSpan(ROOT_CONTEXT, parent),
  );
  return { span, params: { ...params, _meta: spanMeta(meta, span) } };
}

/** Ends an upstream request's client span with its outcome. */
export function endCallSpan(span: Span, outcome: SpanOutcome): void {
  recordOutcome(span, outcome);
  span.end();
}
