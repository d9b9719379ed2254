import { FedmcpError } from '@fedmcp/protocol';

/** One problem found in a config file: the key it concerns and what is expected there. */
export interface ConfigIssue {
  /** The dotted path of the bad key, e.g. `mcpServers.github.command`. */
  path: string;
  message: string;
  /** Where the key (or the syntax error) is in the file, 1-based, when known. */
  line?: number;
  column?: number;
}

function describe(file: string, issue: ConfigIssue): string {
  const where = issue.line === undefined ? '' : `${file}:${issue.line}:${issue.column ?? 1}: `;
  return `  - ${where}${issue.path || '(top level)'}: ${issue.message}`;
}

/**
 * A config file that cannot be used (code `INVALID_CONFIG`). Its message lists every problem with
 * the key it concerns, so the user can fix them all in one go.
 */
export class ConfigError extends FedmcpError {
  constructor(
    readonly file: string,
    readonly issues: readonly ConfigIssue[],
    options?: { cause?: unknown },
  ) {
    super(
      'INVALID_CONFIG',
      `Invalid config ${file}:\n${issues.map((issue) => describe(file, issue)).join('\n')}\nFix the keys above and try again.`,
      { cause: options?.cause, data: { file, issues } },
    );
    this.name = 'ConfigError';
  }
}
