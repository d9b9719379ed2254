/**
 * The error every engine throws: a `FedmcpError` (from `@fedmcp/protocol`) whose `code` is one of
 * the store's codes, which are rows of the one fedmcp error table (`FEDMCP_ERROR_CODES`).
 */
import { FedmcpError } from '@fedmcp/protocol';

/** What went wrong, as a stable string. */
export type StoreErrorCode =
  /** The backing server cannot be reached (now); retry later. */
  | 'STORE_UNAVAILABLE'
  /** The store was closed; create a new one. */
  | 'STORE_CLOSED'
  /** An operation did not finish within its time bound. */
  | 'STORE_TIMEOUT'
  /** The stored value does not fit the operation (e.g. increment of a non-integer). */
  | 'STORE_INVALID_VALUE'
  /** An argument is invalid (e.g. a malformed stream id or URL). */
  | 'STORE_INVALID_ARGUMENT'
  /** A consumer group does not exist. */
  | 'STORE_NO_GROUP'
  /** Any other engine failure; see `cause`. */
  | 'STORE_FAILED';

// Also recognises a StoreError of another copy of this package.
const brand = Symbol.for('@fedmcp/store/StoreError');

export interface StoreErrorOptions {
  cause?: unknown;
}

/**
 * An error raised by a store engine. A `FedmcpError`, so `FedmcpError.from()` keeps it as is and
 * it travels on the wire with its own code.
 *
 * @example
 * ```ts
 * try { await store.kv.get('k'); } catch (error) {
 *   if (StoreError.isInstance(error) && error.code === 'STORE_UNAVAILABLE') retryLater();
 * }
 * ```
 */
export class StoreError extends FedmcpError {
  declare readonly code: StoreErrorCode;
  readonly [brand] = true;

  constructor(code: StoreErrorCode, message: string, options: StoreErrorOptions = {}) {
    super(code, message, options.cause === undefined ? {} : { cause: options.cause });
    this.name = 'StoreError';
  }

  /** `instanceof` that also works across duplicate installs of this package. */
  static override isInstance<T extends FedmcpError>(
    this: abstract new (
      ...args: never[]
    ) => T,
    value: unknown,
  ): value is T {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[brand] === true
    );
  }

  /** `instanceof` follows the brand (not every FedmcpError is a StoreError). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return StoreError.isInstance(value);
  }
}
