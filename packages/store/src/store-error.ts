/**
 * The error every engine throws. `@fedmcp/store` depends on no other fedmcp package, so it has
 * its own class; `code` strings follow the fedmcp convention so `FedmcpError.from()` can map them.
 */

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

const brand = Symbol.for('@fedmcp/store/StoreError');

export interface StoreErrorOptions {
  cause?: unknown;
}

/**
 * An error raised by a store engine.
 *
 * @example
 * ```ts
 * try { await store.kv.get('k'); } catch (error) {
 *   if (StoreError.isInstance(error) && error.code === 'STORE_UNAVAILABLE') retryLater();
 * }
 * ```
 */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly code: StoreErrorCode;
  readonly [brand] = true;

  constructor(code: StoreErrorCode, message: string, options: StoreErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }

  /** `instanceof` that also works across duplicate installs of this package. */
  static isInstance(value: unknown): value is StoreError {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[brand] === true
    );
  }
}
