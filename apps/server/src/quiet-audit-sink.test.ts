import { describe, expect, it, vi } from 'vitest';
import { captureLogger } from './auth/test-fixtures.js';
import { auditLogLevel, createQuietAuditSink } from './quiet-audit-sink.js';

/** The captured lines above debug (pino levels: 30 info, 40 warn). */
function linesAboveDebug(output: string) {
  return output
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { level: number; msg: string })
    .filter((line) => line.level > 20)
    .map(({ level, msg }) => ({ level, msg }));
}

describe('createQuietAuditSink', () => {
  it('skips the lines of levels the logger does not write', () => {
    const written: string[] = [];
    const asked: string[] = [];
    const at = (level: string) => (_object: unknown, message?: string) => {
      written.push(`${level} ${message}`);
    };
    const sink = createQuietAuditSink({
      debug: at('debug'),
      info: at('info'),
      warn: at('warn'),
      error: at('error'),
      isLevelEnabled: (level) => {
        asked.push(level);
        return level !== 'debug';
      },
    });
    sink.write({ time: '', type: 'call', outcome: 'success' });
    sink.write({ time: '', type: 'call', outcome: 'error' });
    sink.write({ time: '', type: 'policy', outcome: 'denied' });
    expect(asked).toEqual(['debug', 'warn', 'info']);
    expect(written).toEqual(['warn audit call error', 'info audit policy denied']);
  });

  it('folds the pins of a start-up into one info line', () => {
    vi.useFakeTimers();
    try {
      const { logger, output } = captureLogger();
      const sink = createQuietAuditSink(logger, { pinSummaryDelayMs: 100 });
      for (let index = 0; index < 45; index++) {
        sink.write({
          time: '',
          type: 'pin',
          outcome: 'pinned',
          target: `ev__tool${index}`,
          upstream: index < 30 ? 'ev' : 'memory',
        });
      }
      vi.advanceTimersByTime(100);
      expect(linesAboveDebug(output())).toEqual([
        {
          level: 30,
          msg: 'pinned 45 tool and prompt definitions of 2 upstreams on first sight (fedmcp tools diff shows later changes)',
        },
      ]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('logs routine calls and authentications at debug, refusals and failures higher', () => {
    expect(auditLogLevel({ time: '', type: 'call', outcome: 'success' })).toBe('debug');
    expect(auditLogLevel({ time: '', type: 'auth', outcome: 'success' })).toBe('debug');
    expect(auditLogLevel({ time: '', type: 'policy', outcome: 'allowed' })).toBe('debug');
    expect(auditLogLevel({ time: '', type: 'policy', outcome: 'denied' })).toBe('info');
    expect(auditLogLevel({ time: '', type: 'call', outcome: 'error' })).toBe('warn');
    expect(auditLogLevel({ time: '', type: 'pin', outcome: 'quarantined' })).toBe('warn');
    expect(auditLogLevel({ time: '', type: 'consent', outcome: 'granted' })).toBe('info');
  });
});
