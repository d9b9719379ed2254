import { describe, expect, it } from 'vitest';
import { parseConfig } from './load-config.js';

const secret = `whsec_${Buffer.alloc(32, 1).toString('base64')}`;

describe('hub.tasks in the config', () => {
  it('accepts limits, resumable tools and callbacks, with the secret from the environment', () => {
    const config = parseConfig(
      {
        hub: {
          tasks: {
            maxRunningPerPrincipal: 4,
            defaultTtlMs: 600_000,
            resumableTools: ['everything__echo'],
            callbacks: {
              secret: '${TASK_SECRET}',
              allowedUrls: ['https://hooks.example.com/'],
            },
          },
        },
      },
      'fedmcp.config.json',
      { env: { TASK_SECRET: secret } },
    );
    expect(config.hub.tasks).toMatchObject({
      maxRunningPerPrincipal: 4,
      resumableTools: ['everything__echo'],
      callbacks: { secret },
    });
  });

  it('points at a bad key: a malformed secret, no allowed URL, a zero limit', () => {
    const parse = (tasks: unknown) => () =>
      parseConfig({ hub: { tasks } }, 'fedmcp.config.json', { env: {} });
    expect(
      parse({ callbacks: { secret: 'hunter2', allowedUrls: ['https://a.example/'] } }),
    ).toThrow(/hub\.tasks\.callbacks\.secret.*whsec_/s);
    expect(parse({ callbacks: { secret, allowedUrls: [] } })).toThrow(
      /hub\.tasks\.callbacks\.allowedUrls/,
    );
    expect(parse({ maxRunningPerPrincipal: 0 })).toThrow(/hub\.tasks\.maxRunningPerPrincipal/);
    expect(parse({ retention: 5 })).toThrow(/hub\.tasks/);
  });
});
