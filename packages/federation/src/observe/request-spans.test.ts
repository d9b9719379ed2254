import { describe, expect, it } from 'vitest';
import { isRecordingRequests, startCallSpan, startRequestSpan } from './request-spans.js';

describe('request spans without an OpenTelemetry SDK', () => {
  it('record nothing and leave the upstream request as it is', () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const request = {
      action: 'tools/call',
      target: 'docs__ok',
      upstream: 'docs',
      upstreamTarget: 'ok',
      meta: { traceparent },
    };
    const span = startRequestSpan(request, { mcpReq: { _meta: { traceparent }, id: 1 } });
    expect(span).toBeUndefined();
    expect(isRecordingRequests()).toBe(false);
    const params = { name: 'ok', _meta: { traceparent } };
    expect(startCallSpan('docs', 'tools/call', params)).toBeUndefined();
  });
});
