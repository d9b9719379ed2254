/**
 * W3C trace context on HTTP too: a fetch that copies the `traceparent` (and `tracestate`) of the
 * JSON-RPC request it carries from `_meta` to the HTTP headers, so proxies and HTTP-level tracing
 * between two hubs see the trace the MCP request belongs to. It reads request bodies only while
 * this process records spans (`observe/request-spans.ts`); otherwise it passes requests on as
 * they are.
 */
import { readTraceContext } from '@fedmcp/protocol';
import { isRecordingRequests } from './request-spans.js';

type Params = Record<string, unknown>;

/** The trace context in `_meta` of a JSON-RPC request body (the first request of a batch). */
function traceContextOfBody(body: string) {
  try {
    const parsed = JSON.parse(body) as unknown;
    const message = (Array.isArray(parsed) ? parsed[0] : parsed) as Params | undefined;
    const meta = (message?.params as Params | undefined)?._meta as Params | undefined;
    return readTraceContext(meta);
  } catch {
    return undefined;
  }
}

/** Wraps `fetchImplementation` to send `_meta`'s trace context as HTTP headers too. */
export function withTraceHeaders(fetchImplementation: typeof fetch = fetch): typeof fetch {
  return (input, init) => {
    const body = init?.body;
    if (!isRecordingRequests() || typeof body !== 'string' || !body.includes('"traceparent"')) {
      return fetchImplementation(input, init);
    }
    const context = traceContextOfBody(body);
    if (!context) return fetchImplementation(input, init);
    const headers = new Headers(init?.headers);
    headers.set('traceparent', context.traceparent);
    if (context.tracestate) headers.set('tracestate', context.tracestate);
    else headers.delete('tracestate');
    return fetchImplementation(input, { ...init, headers });
  };
}
