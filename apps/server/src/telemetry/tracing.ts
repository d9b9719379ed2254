/**
 * The OpenTelemetry SDK of the process: the libraries create spans through `@opentelemetry/api`
 * (a no-op until a tracer provider is registered), and this module registers one, exporting over
 * OTLP/HTTP (JSON) to the endpoint of `telemetry.traces` or `OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT`.
 *
 * The API holds one global provider per process, and a library caches the tracer it got from it,
 * so the provider is registered once and kept: a server that starts tracing attaches its export
 * pipeline (sampler and batch processor) to it, and detaches it on close after flushing. With no
 * pipeline attached nothing is sampled, and spans cost what the no-op API costs. Several servers
 * in one process (tests) share the first one's pipeline and `service.name`.
 */
import { createRequire } from 'node:module';
import type { Logger } from '@fedmcp/protocol';
import { type Context, trace } from '@opentelemetry/api';
import type * as OtlpHttpExporter from '@opentelemetry/exporter-trace-otlp-http';
import type * as Resources from '@opentelemetry/resources';
import type * as SdkTrace from '@opentelemetry/sdk-trace';
import type {
  BatchSpanProcessor,
  ReadableSpan,
  Sampler,
  Span,
  SpanProcessor,
} from '@opentelemetry/sdk-trace';
import type { TelemetryConfig } from './telemetry-config.js';

const load = createRequire(import.meta.url);

/**
 * The OpenTelemetry SDK and OTLP exporter, loaded by the first server that exports traces: a hub
 * without a traces endpoint never holds them (some 7.5 MB of RSS at start). Loaded synchronously
 * (their CommonJS builds) so starting tracing stays synchronous; the API they register with is
 * one per process whichever build loads it (a global keyed by its major version).
 */
function sdk(): {
  trace: typeof SdkTrace;
  resources: typeof Resources;
  exporter: typeof OtlpHttpExporter;
} {
  return {
    trace: load('@opentelemetry/sdk-trace') as typeof SdkTrace,
    resources: load('@opentelemetry/resources') as typeof Resources,
    exporter: load('@opentelemetry/exporter-trace-otlp-http') as typeof OtlpHttpExporter,
  };
}

/** One server's export pipeline. */
interface Pipeline {
  endpoint: string;
  sampler: Sampler;
  processor: BatchSpanProcessor;
  users: number;
}

let attached: Pipeline | undefined;

/** The process's provider: samples and exports through the attached pipeline, if any. */
const switching: Sampler & SpanProcessor = {
  shouldSample(...args: Parameters<Sampler['shouldSample']>) {
    // SamplingDecision.NOT_RECORD (0): this runs only once the SDK is loaded and registered.
    return attached ? attached.sampler.shouldSample(...args) : { decision: 0 };
  },
  toString: () => 'FedmcpPipelineSampler',
  onStart(span: Span, parentContext: Context) {
    attached?.processor.onStart(span, parentContext);
  },
  onEnd(span: ReadableSpan) {
    attached?.processor.onEnd(span);
  },
  forceFlush: async () => attached?.processor.forceFlush(),
  shutdown: async () => {},
};

let registered = false;

function register(serviceName: string, logger: Logger): void {
  if (registered) return;
  registered = true;
  const { trace: sdkTrace, resources } = sdk();
  const provider = new sdkTrace.TracerProvider({
    resource: resources.resourceFromAttributes({ 'service.name': serviceName }),
    sampler: switching,
    spanProcessors: [switching],
  });
  if (!trace.setGlobalTracerProvider(provider)) {
    logger.warn(
      {},
      'another OpenTelemetry tracer provider is registered in this process: the hub’s spans go to it, not to telemetry.traces',
    );
  }
}

/** The OTLP/HTTP traces endpoint: config, then the OpenTelemetry environment variables. */
export function tracesEndpoint(
  config: TelemetryConfig | undefined,
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  const configured = config?.traces?.otlpEndpoint ?? env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (configured) return configured;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  // OTLP/HTTP: the signal path is appended to the base endpoint.
  return base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined;
}

/** Options of {@link startTracing}. */
export interface StartTracingOptions {
  telemetry: TelemetryConfig | undefined;
  env: Readonly<Record<string, string | undefined>>;
  /** The `service.name` unless the config names one. */
  defaultServiceName: string;
  logger: Logger;
}

/**
 * Attaches this server's export pipeline (see the file comment); resolves to the function that
 * flushes and detaches it, or `undefined` when tracing is not configured.
 */
export function startTracing(options: StartTracingOptions): (() => Promise<void>) | undefined {
  const endpoint = tracesEndpoint(options.telemetry, options.env);
  if (!endpoint) return undefined;
  const traces = options.telemetry?.traces;
  register(traces?.serviceName ?? options.defaultServiceName, options.logger);
  if (attached) {
    if (attached.endpoint !== endpoint) {
      options.logger.warn(
        { endpoint: attached.endpoint },
        'traces of this process already go to another OTLP endpoint; telemetry.traces of this server is not applied',
      );
    }
  } else {
    const loaded = sdk();
    const exporter = new loaded.exporter.OTLPTraceExporter({
      url: endpoint,
      headers: traces?.headers ?? {},
    });
    attached = {
      endpoint,
      // A caller's sampling decision (its traceparent flags) is followed; new traces by ratio.
      sampler: new loaded.trace.ParentBasedSampler({
        root: new loaded.trace.TraceIdRatioBasedSampler(traces?.sampleRatio ?? 1),
      }),
      processor: new loaded.trace.BatchSpanProcessor({ exporter }),
      users: 0,
    };
  }
  const pipeline = attached;
  pipeline.users += 1;
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    pipeline.users -= 1;
    await pipeline.processor
      .forceFlush()
      .catch((error: unknown) =>
        options.logger.warn({ err: (error as Error).message }, 'trace export failed'),
      );
    if (pipeline.users > 0) return;
    if (attached === pipeline) attached = undefined;
    await pipeline.processor.shutdown().catch(() => {});
  };
}
