/** The output streams the CLI writes to; injectable so tests can capture them. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** stderr is a terminal: progress is drawn as a spinner there, else printed as plain lines. */
  readonly stderrIsTty?: boolean;
}

const guarded = new WeakSet<NodeJS.WriteStream>();

function writeIgnoringClosedPipe(stream: NodeJS.WriteStream, text: string): void {
  // `fedmcp … | head` closes the pipe early; that is not an error worth a stack trace.
  if (!guarded.has(stream)) {
    guarded.add(stream);
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
    });
  }
  stream.write(text);
}

/** The process's own stdout and stderr. */
export const processIo: CliIo = {
  stdout: (text) => writeIgnoringClosedPipe(process.stdout, text),
  stderr: (text) => writeIgnoringClosedPipe(process.stderr, text),
  get stderrIsTty() {
    return process.stderr.isTTY === true;
  },
};
