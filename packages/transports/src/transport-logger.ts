/**
 * Deprecated names of the logger this package takes: `Logger`, `silentLogger` and `childLogger`
 * of `@fedmcp/protocol` (the one logger type of every fedmcp package). Kept so existing imports
 * keep working.
 */
import { childLogger, type Logger, silentLogger } from '@fedmcp/protocol';

/**
 * The logger shape `@fedmcp/transports` accepts (pino's).
 * @deprecated Use `Logger` from `@fedmcp/protocol`.
 */
export type TransportLogger = Logger;

/**
 * A logger that drops everything.
 * @deprecated Use `silentLogger` from `@fedmcp/protocol`.
 */
export const silentTransportLogger: Logger = silentLogger;

/**
 * `logger.child(bindings)` when the logger supports it, else the logger itself (silent without one).
 * @deprecated Use `childLogger` from `@fedmcp/protocol`.
 */
export const childTransportLogger: (
  logger: Logger | undefined,
  bindings: Record<string, unknown>,
) => Logger = childLogger;
