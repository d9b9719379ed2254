/**
 * One OpenTelemetry trace across three hubs: A → B → C (C fronting server-everything), exported
 * over OTLP/HTTP (JSON) to a receiver in the test. A user's call at A that carries a W3C
 * `traceparent` gives one trace whose server and client spans at A, B and C follow each other:
 * each hub's server span is the child of the previous hub's client span.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readAuditEvents } from '@fedmcp/proxy-auth';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectUser, startChain, type TestHub, textOf } from '../federation/chain-fixtures.js';
import { tracesEndpoint } from './tracing.js';

/** A span as the OTLP JSON encoding carries it (the fields the test reads). */
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: Array<{ key: string; value: { stringValue?: string } }>;
}

const SERVER = 2;
const CLIENT = 3;

/** An OTLP/HTTP traces receiver on 127.0.0.1: keeps every span it is sent. */
async function startReceiver() {
  const spans: OtlpSpan[] = [];
  const contentTypes: string[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      contentTypes.push(String(request.headers['content-type']));
      if (request.url !== '/v1/traces' || request.method !== 'POST') {
        response.writeHead(404).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }>;
      };
      for (const resource of body.resourceSpans) {
        for (const scope of resource.scopeSpans) spans.push(...scope.spans);
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    contentTypes,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function attribute(span: OtlpSpan, key: string): string | undefined {
  return span.attributes?.find((entry) => entry.key === key)?.value.stringValue;
}

describe('an OpenTelemetry trace across hubs A → B → C', () => {
  let directory: string;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let hubs: TestHub[] = [];

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'fedmcp-trace-'));
    receiver = await startReceiver();
  });

  afterAll(async () => {
    await Promise.all(hubs.map((hub) => hub.server.close()));
    await receiver?.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('exports one trace whose spans cover A, B and C of a federated call', {
    timeout: 60_000,
  }, async () => {
    // OTEL_EXPORTER_OTLP_ENDPOINT, as an operator would set it (no telemetry section needed).
    // What the hubs send each other: tools/call requests with their trace context in the HTTP
    // headers and in _meta.
    const sent: Array<{ header: string | null; meta: unknown }> = [];
    const observingFetch: typeof fetch = (input, init) => {
      const body = typeof init?.body === 'string' ? init.body : '';
      if (body.includes('"tools/call"')) {
        const message = JSON.parse(body) as { params?: { _meta?: { traceparent?: unknown } } };
        const header = new Headers(init?.headers).get('traceparent');
        sent.push({ header, meta: message.params?._meta?.traceparent });
      }
      return fetch(input, init);
    };
    const chain = await startChain(directory, {
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
      fetch: observingFetch,
    });
    hubs = [chain.a, chain.b, chain.c];
    const user = await connectUser(chain.a.url, chain.alice.key, 'alice');
    await vi.waitFor(
      async () =>
        expect((await user.client.listTools()).tools.map((tool) => tool.name)).toContain(
          'b__c__everything__echo',
        ),
      { timeout: 20_000, interval: 100 },
    );
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpan = '00f067aa0ba902b7';
    const result = await user.client.callTool({
      name: 'b__c__everything__echo',
      arguments: { message: 'traced' },
      _meta: { traceparent: `00-${traceId}-${callerSpan}-01` },
    });
    expect(textOf(result)).toBe('Echo: traced');
    // A call that starts its trace at A: A's audit record names the trace A exported.
    await user.client.callTool({ name: 'b__c__everything__echo', arguments: { message: 'root' } });
    const auditedAtA = (await readAuditEvents(chain.a.server.store.streams))
      .map((entry) => entry.event)
      .filter((event) => event.type === 'call');
    expect(auditedAtA.map((event) => event.traceId)[0]).toBe(traceId);
    const rootTraceId = auditedAtA[1]?.traceId;
    await user.close();
    // Closing flushes each hub's batch of spans to the receiver.
    await Promise.all(hubs.map((hub) => hub.server.close()));
    hubs = [];

    const trace = receiver.spans.filter((span) => span.traceId === traceId);
    const byParent = (parent: string | undefined, kind: number) => {
      const found = trace.filter((span) => span.parentSpanId === parent && span.kind === kind);
      expect(found, `one span of kind ${kind} under ${parent}`).toHaveLength(1);
      return found[0] as OtlpSpan;
    };
    const serverA = byParent(callerSpan, SERVER);
    const clientA = byParent(serverA.spanId, CLIENT);
    const serverB = byParent(clientA.spanId, SERVER);
    const clientB = byParent(serverB.spanId, CLIENT);
    const serverC = byParent(clientB.spanId, SERVER);
    const clientC = byParent(serverC.spanId, CLIENT);
    expect([serverA, clientA, serverB, clientB, serverC, clientC].map((span) => span.name)).toEqual(
      [
        'tools/call b__c__everything__echo',
        'tools/call c__everything__echo',
        'tools/call c__everything__echo',
        'tools/call everything__echo',
        'tools/call everything__echo',
        'tools/call echo',
      ],
    );
    expect(trace).toHaveLength(6);
    // A → B and B → C carried the client spans' context in both places.
    expect(sent.slice(0, 2)).toEqual([
      { header: `00-${traceId}-${clientA.spanId}-01`, meta: `00-${traceId}-${clientA.spanId}-01` },
      { header: `00-${traceId}-${clientB.spanId}-01`, meta: `00-${traceId}-${clientB.spanId}-01` },
    ]);
    const rootTrace = receiver.spans.filter((span) => span.traceId === rootTraceId);
    expect(rootTrace.map((span) => span.name)).toContain('tools/call b__c__everything__echo');
    expect(rootTrace).toHaveLength(6);
    // OpenTelemetry semantic conventions for MCP.
    expect(attribute(serverA, 'mcp.method.name')).toBe('tools/call');
    expect(attribute(serverA, 'gen_ai.tool.name')).toBe('b__c__everything__echo');
    expect(attribute(serverA, 'gen_ai.operation.name')).toBe('execute_tool');
    expect(attribute(clientC, 'fedmcp.upstream.id')).toBe('everything');
    expect(receiver.contentTypes.every((type) => type.startsWith('application/json'))).toBe(true);
  });
});

describe('tracesEndpoint', () => {
  it('takes telemetry.traces.otlpEndpoint, then the OpenTelemetry environment variables', () => {
    const traces = { otlpEndpoint: 'http://collector:4318/v1/traces', sampleRatio: 1, headers: {} };
    expect(tracesEndpoint({ traces }, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x' })).toBe(
      'http://collector:4318/v1/traces',
    );
    expect(
      tracesEndpoint(undefined, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t/v1/traces' }),
    ).toBe('http://t/v1/traces');
    expect(tracesEndpoint(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://base:4318/' })).toBe(
      'http://base:4318/v1/traces',
    );
    expect(tracesEndpoint(undefined, {})).toBeUndefined();
  });
});
