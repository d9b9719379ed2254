import { FedmcpError } from '@fedmcp/protocol';
import { type Logger, pino } from 'pino';

/** The levels `createLogger` (and `fedmcp serve --log-level`) accepts, most verbose first. */
export const logLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** Whether `level` is one of {@link logLevels}. */
export function isLogLevel(level: string): level is (typeof logLevels)[number] {
  return (logLevels as readonly string[]).includes(level);
}

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  /**
   * The lowest level written, one of {@link logLevels}.
   * @default 'info'
   */
  level?: string;
  /**
   * Human-readable lines instead of JSON.
   * @default true when the destination is a TTY
   */
  pretty?: boolean;
  /**
   * Where logs go: 1 (stdout) or 2 (stderr). Serving over stdio must log to stderr only.
   * @default 2
   */
  destination?: 1 | 2;
}

/** The keys whose values never reach a log line, wherever they appear. */
export const redactedLogPaths = [
  'authorization',
  'headers.authorization',
  'headers.Authorization',
  'headers["x-api-key"]',
  '*.authorization',
  '*.Authorization',
  '*.token',
  '*.secret',
  '*.password',
  '*.apiKey',
  '*.env',
];

/**
 * The apps' pino logger: JSON lines, pretty when the destination is a terminal, secrets redacted.
 * Libraries never create a logger; they take this one.
 * @throws {FedmcpError} `INVALID_PARAMS` for a level that is not one of {@link logLevels}.
 */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  if (options.level !== undefined && !isLogLevel(options.level)) {
    throw new FedmcpError(
      'INVALID_PARAMS',
      `"${options.level}" is not a log level; use one of ${logLevels.join(', ')}.`,
    );
  }
  const destination = options.destination ?? 2;
  const isTty = destination === 1 ? process.stdout.isTTY : process.stderr.isTTY;
  const pretty = options.pretty ?? Boolean(isTty);
  const base = {
    level: options.level ?? 'info',
    redact: { paths: redactedLogPaths, censor: '[redacted]' },
  };
  if (pretty) {
    return pino({
      ...base,
      transport: {
        target: 'pino-pretty',
        options: { destination, colorize: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss' },
      },
    });
  }
  return pino(base, pino.destination({ dest: destination, sync: false }));
}
