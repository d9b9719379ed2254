/**
 * The `telemetry` section of `fedmcp.config.json`: Prometheus metrics (README "Metrics") and
 * OpenTelemetry traces exported over OTLP/HTTP (README "Tracing").
 */
import { z } from 'zod';

const upstreamIdPattern = /^[a-z0-9][a-z0-9-]{0,31}$/;

/** `telemetry.metrics`: where `GET /metrics` is served and which labels it carries. */
const metricsSection = z
  .object({
    /** Serve `GET /metrics`. @default true */
    enabled: z.boolean({ error: 'expected true or false' }).default(true),
    /**
     * A separate bind for `/metrics`, without authentication (keep it on an internal address).
     * Without it, `/metrics` is served on the hub's own port to callers with the `admin` scope.
     */
    host: z.string({ error: 'expected a host name or IP address' }).min(1).optional(),
    port: z
      .number({ error: 'expected a port number' })
      .int()
      .min(0, { error: 'expected a port from 0 to 65535' })
      .max(65535, { error: 'expected a port from 0 to 65535' })
      .optional(),
    /**
     * Upstreams whose call metrics carry a `tool` label (one series per tool). Off by default:
     * a label per tool multiplies the series a Prometheus server stores.
     */
    toolLabels: z
      .array(z.string().regex(upstreamIdPattern, { error: 'expected an upstream id' }), {
        error: 'expected a list of upstream ids',
      })
      .default([]),
  })
  .strict()
  .refine((metrics) => metrics.port !== undefined || metrics.host === undefined, {
    error: 'telemetry.metrics.host needs telemetry.metrics.port (the separate bind)',
    path: ['port'],
  });

/** `telemetry.traces`: OTLP/HTTP export of the hub's spans. */
const tracesSection = z
  .object({
    /**
     * The OTLP/HTTP traces endpoint (`https://collector:4318/v1/traces`).
     * @default the OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT environment variable
     */
    otlpEndpoint: z
      .url({
        protocol: /^https?$/,
        error: 'expected an http(s) URL, e.g. "http://127.0.0.1:4318/v1/traces"',
      })
      .optional(),
    /** The `service.name` of the hub's spans. @default the hub id */
    serviceName: z.string({ error: 'expected a service name' }).min(1).optional(),
    /** The share of new traces recorded (0–1); a caller's sampled flag is followed. @default 1 */
    sampleRatio: z
      .number({ error: 'expected a number from 0 to 1' })
      .min(0, { error: 'expected a number from 0 to 1' })
      .max(1, { error: 'expected a number from 0 to 1' })
      .default(1),
    /** Headers sent with every export (an API key of the collector: use `${ENV}`). */
    headers: z.record(z.string(), z.string({ error: 'expected a header value' })).default({}),
  })
  .strict();

/** The `telemetry` section. */
export const telemetrySection = z
  .object({
    metrics: metricsSection.optional(),
    traces: tracesSection.optional(),
  })
  .strict();

/** The validated `telemetry` section. */
export type TelemetryConfig = z.output<typeof telemetrySection>;
