import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config/config-error.js';
import { parseConfig } from '../config/load-config.js';

function issuesOf(telemetry: unknown): string[] {
  try {
    parseConfig({ telemetry }, 'fedmcp.config.json', { env: {} });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues.map((issue) => `${issue.path}: ${issue.message}`);
  }
  throw new Error('expected a ConfigError');
}

describe('the telemetry section', () => {
  it('applies its defaults', () => {
    const config = parseConfig(
      { telemetry: { metrics: {}, traces: { otlpEndpoint: 'http://127.0.0.1:4318/v1/traces' } } },
      'fedmcp.config.json',
      { env: {} },
    );
    expect(config.telemetry).toEqual({
      metrics: { enabled: true, toolLabels: [] },
      traces: { otlpEndpoint: 'http://127.0.0.1:4318/v1/traces', sampleRatio: 1, headers: {} },
    });
  });

  it('names the bad key of a bad value', () => {
    expect(issuesOf({ traces: { sampleRatio: 2 } })).toEqual([
      'telemetry.traces.sampleRatio: expected a number from 0 to 1',
    ]);
    expect(issuesOf({ traces: { otlpEndpoint: 'collector:4318' } })[0]).toMatch(
      /^telemetry\.traces\.otlpEndpoint: expected an http\(s\) URL/,
    );
    expect(issuesOf({ metrics: { port: 70000 } })).toEqual([
      'telemetry.metrics.port: expected a port from 0 to 65535',
    ]);
    expect(issuesOf({ metrics: { host: '0.0.0.0' } })).toEqual([
      'telemetry.metrics.port: telemetry.metrics.host needs telemetry.metrics.port (the separate bind)',
    ]);
    expect(issuesOf({ metrics: { toolLabels: ['Not An Id'] } })).toEqual([
      'telemetry.metrics.toolLabels[0]: expected an upstream id',
    ]);
    expect(issuesOf({ tracing: {} })[0]).toMatch(/^telemetry/);
  });
});
