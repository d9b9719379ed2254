/**
 * The one logger shape every fedmcp package accepts: a subset of pino's, so a pino logger fits as
 * is. Libraries never print; they log through the logger they are given, and through none
 * (silently) by default. Only `apps/` create a real (pino) logger.
 */

/** A level a {@link Logger} writes at. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * The logger shape fedmcp libraries accept (pino's: `logger.info({ url }, 'listening')`).
 *
 * @example
 * ```ts
 * const hub = createHub({ logger: pino() }); // any pino logger fits as is
 * ```
 */
export interface Logger {
  debug(object: unknown, message?: string): void;
  info(object: unknown, message?: string): void;
  warn(object: unknown, message?: string): void;
  error(object: unknown, message?: string): void;
  /** A logger that adds `bindings` to every line (pino's `child`). Optional. */
  child?(bindings: Record<string, unknown>): Logger;
  /**
   * Whether a level is written at all (pino's `isLevelEnabled`). Optional; callers use it to skip
   * work for lines that would be dropped, and assume "enabled" when it is absent.
   */
  isLevelEnabled?(level: string): boolean;
}

const noop = (): void => {};

/** A logger that drops everything: the default of every fedmcp library. */
export const silentLogger: Logger = {
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  isLevelEnabled: () => false,
};

/**
 * `logger.child(bindings)` when the logger supports it, else the logger itself; the
 * {@link silentLogger} when there is no logger.
 */
export function childLogger(logger: Logger | undefined, bindings: Record<string, unknown>): Logger {
  if (!logger) return silentLogger;
  return logger.child ? logger.child(bindings) : logger;
}
