import { describe, expect, it } from 'vitest';
import { type ChildLogger, createRedactingLogger } from './create-redacting-logger.js';

function recordingLogger(
  bindings: Record<string, unknown> = {},
  lines: unknown[][] = [],
): ChildLogger & { lines: unknown[][] } {
  const at =
    (level: string) =>
    (...parameters: unknown[]) =>
      void lines.push([level, bindings, ...parameters]);
  return {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => recordingLogger({ ...bindings, ...more }, lines),
  };
}

describe('createRedactingLogger', () => {
  it('keeps every configured secret value out of the output', () => {
    const target = recordingLogger();
    const secrets = new Set(['ghp_supersecret123']);
    const logger = createRedactingLogger(target, { secretValues: secrets });
    logger.info(
      {
        upstream: 'github',
        headers: { 'X-Token-Hint': 'x' },
        url: 'https://x/?t=ghp_supersecret123',
      },
      'connecting',
    );
    logger.error(
      { err: new Error('401 for token ghp_supersecret123') },
      'failed with ghp_supersecret123',
    );
    secrets.add('xoxb-later-added');
    logger
      .child?.({ component: 'slack', auth: 'xoxb-later-added' })
      .warn({ note: 'uses xoxb-later-added' });
    const output = JSON.stringify(target.lines);
    expect(output).not.toContain('ghp_supersecret123');
    expect(output).not.toContain('xoxb-later-added');
    expect(target.lines[0]).toEqual([
      'info',
      {},
      {
        upstream: 'github',
        headers: { 'X-Token-Hint': '[REDACTED]' },
        url: 'https://x/?t=[REDACTED]',
      },
      'connecting',
    ]);
    expect(target.lines[1]).toMatchObject([
      'error',
      {},
      {
        err: {
          type: 'Error',
          message: '401 for token [REDACTED]',
          stack: expect.stringContaining('401 for token [REDACTED]'),
        },
      },
      'failed with [REDACTED]',
    ]);
    expect(target.lines[2]).toEqual([
      'warn',
      { component: 'slack', auth: '[REDACTED]' },
      { note: 'uses [REDACTED]' },
    ]);
  });

  it('does no work for a level the logger drops, and says which levels it writes', () => {
    const target = recordingLogger();
    let inspected = 0;
    const watched = {
      get secret() {
        inspected += 1;
        return 'ghp_supersecret123';
      },
    };
    const logger = createRedactingLogger(
      { ...target, isLevelEnabled: (level: string) => level !== 'debug' },
      { secretValues: ['ghp_supersecret123'] },
    );
    logger.debug({ watched }, 'dropped');
    expect(inspected).toBe(0);
    expect(target.lines).toEqual([]);
    expect(logger.isLevelEnabled?.('debug')).toBe(false);
    logger.info({ watched }, 'kept');
    expect(inspected).toBeGreaterThan(0);
    expect(target.lines).toEqual([['info', {}, { watched: { secret: '[REDACTED]' } }, 'kept']]);
  });
});
