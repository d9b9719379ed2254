/**
 * The logger shape fedmcp libraries accept: a subset of pino's. Libraries never print; they log
 * through the logger they are given, and through none (silently) by default.
 */
export interface Logger {
  debug(object: unknown, message?: string): void;
  info(object: unknown, message?: string): void;
  warn(object: unknown, message?: string): void;
  error(object: unknown, message?: string): void;
  child?(bindings: Record<string, unknown>): Logger;
}

const noop = () => {};

/** A logger that drops everything: the default of every fedmcp library. */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

/** `logger.child(bindings)` when the logger supports it, else the logger itself. */
export function childLogger(logger: Logger, bindings: Record<string, unknown>): Logger {
  return logger.child ? logger.child(bindings) : logger;
}
