import type { CliIo } from '../src/cli-io.js';

/** A `CliIo` that keeps what a command writes, for tests to read from `out`. */
export function captureIo(): { out: { stdout: string; stderr: string }; io: CliIo } {
  const out = { stdout: '', stderr: '' };
  return {
    out,
    io: {
      stdout: (text) => {
        out.stdout += text;
      },
      stderr: (text) => {
        out.stderr += text;
      },
    },
  };
}
