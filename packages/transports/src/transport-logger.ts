/**
 * The logger shape `@fedmcp/transports` accepts: a subset of pino's. The package never prints; it
 * logs through the logger it is given, and through none (silently) by default.
 */
export interface TransportLogger {
  debug(object: unknown, message?: string): void;
  info(object: unknown, message?: string): void;
  warn(object: unknown, message?: string): void;
  error(object: unknown, message?: string): void;
  child?(bindings: Record<string, unknown>): TransportLogger;
}

const noop = (): void => {};

/** A logger that drops everything: the default everywhere in this package. */
export const silentTransportLogger: TransportLogger = {
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
};

/** `logger.child(bindings)` when the logger supports it, else the logger itself. */
export function childTransportLogger(
  logger: TransportLogger | undefined,
  bindings: Record<string, unknown>,
): TransportLogger {
  if (!logger) return silentTransportLogger;
  return logger.child ? logger.child(bindings) : logger;
}
