import type { Logger } from '@fedmcp/protocol';
import { describe, expect, it } from 'vitest';
import { createHub } from './index.js';

function recordingLogger() {
  const lines: Array<{ level: string; message: string; object: Record<string, unknown> }> = [];
  const at =
    (level: string) =>
    (object: unknown, message?: string): void => {
      lines.push({ level, message: message ?? '', object: object as Record<string, unknown> });
    };
  const logger: Logger = {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
  };
  return { lines, logger };
}

describe('a down upstream in the log', () => {
  it('logs its failed reconnects with backoff (1st, 2nd, 4th, 8th), the others at debug', async () => {
    const { lines, logger } = recordingLogger();
    let attempts = 0;
    let reached: () => void = () => {};
    const ninth = new Promise<void>((resolve) => {
      reached = resolve;
    });
    const hub = createHub({
      serverInfo: { name: 'log-test', version: '1.0.0' },
      upstreams: { dead: { url: 'http://dead.example/mcp' } },
      connect: async () => {
        attempts += 1;
        if (attempts === 9) reached();
        throw new Error('connection refused');
      },
      reconnectBaseMs: 1,
      reconnectMaxMs: 2,
      logger,
    });
    try {
      await hub.start();
      await ninth;
    } finally {
      await hub.close();
    }
    const failures = lines.filter((line) => line.message.startsWith('upstream connect failed'));
    const warned = failures
      .filter((line) => line.level === 'warn')
      .map((line) => line.object.failure);
    expect(warned.slice(0, 4)).toEqual([1, 2, 4, 8]);
    expect(failures.filter((line) => line.object.failure === 3)).toMatchObject([
      { level: 'debug' },
    ]);
    // The retries' state changes (connecting, down again) stay out of the info log.
    const stateInfo = lines.filter(
      (line) => line.message === 'upstream state' && line.level === 'info',
    );
    expect(stateInfo.map((line) => line.object.state)).not.toContain('connecting');
  });
});
