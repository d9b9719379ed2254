/**
 * `fedmcp logs --url`: the call log of a running hub through its admin API (`GET
 * /admin/v1/audit?type=call` for the last calls, `GET /admin/v1/calls/stream` — Server-Sent
 * Events — to follow), with an API key or token that has the `admin` scope.
 */
import type { AuditEvent } from '@fedmcp/proxy-auth';
import { adminRefusal } from './admin-api-refusal.js';

/** What {@link readAdminCallLog} takes. */
export interface AdminCallLogOptions {
  /** The hub's URL (any path: its origin is used). */
  url: string;
  headers: Record<string, string>;
  upstream?: string | undefined;
  lines: number;
  follow: boolean;
  print: (event: AuditEvent) => void;
  /** Resolves when following should stop. */
  stop: Promise<unknown>;
  fetch?: typeof fetch;
}

/** Prints each `event: audit` of a Server-Sent Events body until it ends. */
async function printEvents(body: ReadableStream<Uint8Array>, print: (event: AuditEvent) => void) {
  const decoder = new TextDecoder();
  let buffer = '';
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const lines = block.split('\n');
      const event = lines
        .find((line) => line.startsWith('event:'))
        ?.slice(6)
        .trim();
      const data = lines
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trimStart())
        .join('\n');
      if (event === 'audit' && data) print(JSON.parse(data) as AuditEvent);
      end = buffer.indexOf('\n\n');
    }
  }
}

/**
 * Prints the last `lines` calls of the hub at `url`, or with `follow` its live call log (which
 * starts with the hub's own backlog of recent calls) until `stop`.
 * @throws Error naming the HTTP status, with a hint for a missing admin scope.
 */
export async function readAdminCallLog(options: AdminCallLogOptions): Promise<void> {
  const fetchImplementation = options.fetch ?? fetch;
  const base = new URL(options.url).origin;
  const query = new URLSearchParams(options.upstream ? { upstream: options.upstream } : {});
  const headers = { ...options.headers, accept: 'application/json, text/event-stream' };
  if (!options.follow) {
    if (options.lines === 0) return;
    query.set('type', 'call');
    query.set('newest', 'true');
    query.set('limit', String(Math.min(options.lines, 1000)));
    const target = `${base}/admin/v1/audit?${query}`;
    const response = await fetchImplementation(target, {
      headers,
      signal: AbortSignal.timeout(30_000),
    });
    if (!response.ok) throw await adminRefusal(response, target);
    const { events } = (await response.json()) as { events: Array<{ event: AuditEvent }> };
    for (const { event } of events.reverse()) options.print(event);
    return;
  }
  const target = `${base}/admin/v1/calls/stream${query.size > 0 ? `?${query}` : ''}`;
  const abort = new AbortController();
  void options.stop.then(() => abort.abort());
  try {
    const response = await fetchImplementation(target, { headers, signal: abort.signal });
    if (!response.ok) throw await adminRefusal(response, target);
    if (response.body) await printEvents(response.body, options.print);
  } catch (error) {
    if (!abort.signal.aborted) throw error;
  }
}
