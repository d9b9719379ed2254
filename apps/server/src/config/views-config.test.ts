import { describe, expect, it } from 'vitest';
import { toUpstreamConfig, upstreamsFromConfig } from '../upstreams-from-config.js';
import { parseConfig } from './load-config.js';

describe('views and exposure in the config', () => {
  it('accepts views and an upstream exposure, and maps exposure onto the upstream', () => {
    const config = parseConfig(
      {
        mcpServers: { github: { url: 'https://example.com/mcp', exposure: 'search' } },
        views: {
          readonly: { include: { annotations: { readOnlyHint: true } } },
          github: { include: { upstreams: ['github'] }, exposure: 'search' },
        },
      },
      'fedmcp.config.json',
      { env: {} },
    );
    expect(config.views?.github).toEqual({
      include: { upstreams: ['github'] },
      exposure: 'search',
    });
    const [entry] = [...upstreamsFromConfig(config).values()];
    expect(toUpstreamConfig(entry!)).toMatchObject({ exposure: 'search' });
  });

  it('points at a bad view name, filter key or exposure', () => {
    const parse = (views: unknown) => () =>
      parseConfig({ views }, 'fedmcp.config.json', { env: {} });
    expect(parse({ 'Bad Name': {} })).toThrow(/views\.Bad Name/);
    expect(parse({ ok: { include: { upstream: ['x'] } } })).toThrow(/views\.ok\.include/);
    expect(parse({ ok: { exposure: 'some' } })).toThrow(/expected "all" or "search"/);
  });
});
