import type { Logger } from '@fedmcp/protocol';
import { describe, expect, it, vi } from 'vitest';
import { auditLogLevel, createQuietAuditSink } from './quiet-audit-sink.js';

function recordingLogger() {
  const lines: Array<{ level: string; message: string | undefined }> = [];
  const at =
    (level: string) =>
    (_object: unknown, message?: string): void => {
      lines.push({ level, message });
    };
  const logger: Logger = {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
  };
  return { lines, logger };
}

describe('createQuietAuditSink', () => {
  it('folds the pins of a start-up into one info line', () => {
    vi.useFakeTimers();
    try {
      const { lines, logger } = recordingLogger();
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
      expect(lines.filter((line) => line.level !== 'debug')).toEqual([
        {
          level: 'info',
          message:
            'pinned 45 tool and prompt definitions of 2 upstreams on first sight (fedmcp tools diff shows later changes)',
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
