/**
 * Progress of a long tool call on stderr: a spinner with the latest progress message on a
 * terminal, one plain line per progress notification otherwise (logs, CI).
 */
import type { CliIo } from './cli-io.js';

/** One `notifications/progress` (MCP 2025-11-25 basic/utilities/progress). */
export interface ProgressUpdate {
  progress: number;
  total?: number | undefined;
  message?: string | undefined;
}

/** Shows a call's progress until {@link ProgressDisplay.stop}. */
export interface ProgressDisplay {
  update(progress: ProgressUpdate): void;
  /** Clears the spinner line (a terminal) and stops its timer. */
  stop(): void;
}

const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** The text of one progress update: `3/10 (30%) message`. */
export function describeProgress({ progress, total, message }: ProgressUpdate): string {
  const amount =
    total === undefined || total <= 0
      ? `${progress}`
      : `${progress}/${total} (${Math.round((progress / total) * 100)}%)`;
  return message ? `${amount} ${message}` : amount;
}

/**
 * Starts showing progress for `label` (the tool's name). On a terminal a spinner turns from the
 * start, so a silent long tool still shows that it runs.
 */
export function createProgressDisplay(io: CliIo, label: string): ProgressDisplay {
  if (!io.stderrIsTty) {
    return {
      update: (progress) => io.stderr(`${label}: progress ${describeProgress(progress)}\n`),
      stop: () => {},
    };
  }
  let text = 'running…';
  let frame = 0;
  const draw = () => {
    frame = (frame + 1) % frames.length;
    io.stderr(`\r\x1b[2K${frames[frame]} ${label}: ${text}`);
  };
  const timer = setInterval(draw, 100);
  timer.unref?.();
  draw();
  return {
    update(progress) {
      text = describeProgress(progress);
      draw();
    },
    stop() {
      clearInterval(timer);
      io.stderr('\r\x1b[2K');
    },
  };
}
