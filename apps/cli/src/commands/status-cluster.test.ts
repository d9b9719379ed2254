import type { HubStatus } from '@fedmcp/federation';
import { describe, expect, it } from 'vitest';
import { formatHubStatus } from './status.js';

const hub: HubStatus = {
  hub: { id: 'hub', name: 'fedmcp', version: '0.1.0' },
  status: 'ready',
  upstreams: [{ id: 'docs', kind: 'server', state: 'ready', tools: 2 } as never],
};

describe('formatHubStatus of a replica', () => {
  it('lists the replicas with their upstream states and heartbeat age', () => {
    const now = Date.parse('2026-12-06T20:00:10.000Z');
    const status = {
      ...hub,
      cluster: {
        replica: 'a',
        store: 'ok',
        replicas: [
          {
            id: 'a',
            address: 'http://10.0.0.1:8080',
            heartbeatAt: '2026-12-06T20:00:09.500Z',
            upstreams: [{ id: 'docs', state: 'ready' }],
            configDigest: 'aaaaaaaaaaaa',
          },
          {
            id: 'b',
            heartbeatAt: '2026-12-06T20:00:08.000Z',
            upstreams: [],
            configDigest: 'bbbbbbbbbbbb',
          },
        ],
      },
    };
    const lines = formatHubStatus(status, '', now).split('\n');
    expect(lines.slice(-5)).toEqual([
      '  replicas: 2 (answered by a)',
      `    ${'a'.padEnd(24)} ${'http://10.0.0.1:8080'.padEnd(24)} heartbeat 0.5 s ago  config aaaaaaaaaaaa  docs ready`,
      `    ${'b'.padEnd(24)} ${'-'.padEnd(24)} heartbeat 2.0 s ago  config bbbbbbbbbbbb  no upstreams`,
      '    warning: the replicas run 2 different configs; deploy the same config file to every replica',
      '',
    ]);
  });

  it('says so when the shared store does not answer', () => {
    const status = { ...hub, cluster: { replica: 'a', store: 'unreachable' } };
    expect(formatHubStatus(status)).toContain(
      'replicas: unknown (the shared store does not answer; asked replica a)',
    );
  });
});
