import {
  type FedmcpErrorCode,
  fedmcpCodeForJsonRpcCode,
  httpStatusFor,
  isFedmcpErrorCode,
  jsonRpcCodeFor,
} from './fedmcp-error-codes.js';

/**
 * The brand every fedmcp error carries. `Symbol.for` makes it the same symbol in every copy of
 * this package, so {@link FedmcpError.isInstance} recognises errors thrown by a duplicate install.
 */
export const FEDMCP_ERROR_BRAND: unique symbol = Symbol.for('@fedmcp/error');

/** Extra structured details of an error. They travel on the wire inside `error.data`. */
export type FedmcpErrorData = Record<string, unknown>;

/** Options of the {@link FedmcpError} constructor. */
export interface FedmcpErrorOptions {
  /** The underlying failure. Kept on `error.cause`; never sent on the wire. */
  cause?: unknown;
  /** Structured details, sent on the wire inside `error.data`. */
  data?: FedmcpErrorData;
  /**
   * The JSON-RPC code to use on the wire instead of the one the local code maps to. Set when a
   * JSON-RPC error from elsewhere is normalised, so it is forwarded with its original code.
   * @default the code's entry in FEDMCP_ERROR_CODES
   */
  jsonRpcCode?: number;
  /**
   * The exact `data` to send on the wire instead of `{ fedmcpCode, ...data }`. Set when a
   * JSON-RPC error that did not come from fedmcp is normalised, so it is relayed unchanged.
   * @default undefined (send `{ fedmcpCode, ...data }`)
   */
  wireData?: unknown;
}

// Marks "relay with no data at all" (distinct from "no wireData given").
const noWireData: unique symbol = Symbol('no wire data');

/** A JSON-RPC 2.0 error object (`response.error`). */
export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

/** The `data` of a JSON-RPC error produced by {@link FedmcpError.toJsonRpcError}. */
export interface FedmcpJsonRpcErrorData extends FedmcpErrorData {
  /** The local fedmcp code, so a fedmcp peer can rebuild the same error. */
  fedmcpCode: FedmcpErrorCode;
}

// SDK v2 `SdkError` codes (thrown locally by the SDK, never on the wire) that mean one of ours.
// Also the error codes of Node's network stack (also found as `cause.code` of a failed fetch).
// A client's connection that closed, was not connected, or could not send is the upstream
// being unavailable to the caller (`UPSTREAM_UNAVAILABLE`, as the hub answers it); this table
// is the one place that decides it.
const STRING_ERROR_CODES: Readonly<Record<string, FedmcpErrorCode>> = {
  REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  CONNECTION_CLOSED: 'UPSTREAM_UNAVAILABLE',
  NOT_CONNECTED: 'UPSTREAM_UNAVAILABLE',
  SEND_FAILED: 'UPSTREAM_UNAVAILABLE',
  CLIENT_HTTP_FAILED_TO_OPEN_STREAM: 'UPSTREAM_UNAVAILABLE',
  ERA_NEGOTIATION_FAILED: 'UPSTREAM_UNAVAILABLE',
  CAPABILITY_NOT_SUPPORTED: 'METHOD_NOT_FOUND',
  METHOD_NOT_SUPPORTED_BY_PROTOCOL_VERSION: 'METHOD_NOT_FOUND',
  ECONNREFUSED: 'UPSTREAM_UNAVAILABLE',
  ECONNRESET: 'TRANSPORT_CLOSED',
  EPIPE: 'TRANSPORT_CLOSED',
  ENOTFOUND: 'UPSTREAM_UNAVAILABLE',
  EAI_AGAIN: 'UPSTREAM_UNAVAILABLE',
  EHOSTUNREACH: 'UPSTREAM_UNAVAILABLE',
  ENETUNREACH: 'UPSTREAM_UNAVAILABLE',
  ETIMEDOUT: 'REQUEST_TIMEOUT',
  UND_ERR_CONNECT_TIMEOUT: 'REQUEST_TIMEOUT',
  UND_ERR_SOCKET: 'TRANSPORT_CLOSED',
};

// The message of a closed SDK connection (it says more than "could not be reached").
const CLOSED_CONNECTION_STEP =
  'The connection closed before the response arrived ({reason}); retry once it is back.';
const STRING_CODE_NEXT_STEP: Readonly<Record<string, string>> = {
  CONNECTION_CLOSED: CLOSED_CONNECTION_STEP,
  NOT_CONNECTED: CLOSED_CONNECTION_STEP,
  SEND_FAILED: CLOSED_CONNECTION_STEP,
};

const NEXT_STEP: Partial<Record<FedmcpErrorCode, string>> = {
  REQUEST_TIMEOUT:
    'The request timed out ({reason}); retry it, or raise the timeout if the operation is slow.',
  TRANSPORT_CLOSED:
    'The connection closed before the response arrived ({reason}); retry once the connection is back.',
  UPSTREAM_UNAVAILABLE:
    'The server could not be reached ({reason}); check its URL and that it is running, then retry.',
  METHOD_NOT_FOUND:
    'The other side does not support this ({reason}); check its capabilities and protocol version.',
};

function stringCodeOf(value: Record<PropertyKey, unknown>): string | undefined {
  if (typeof value.code === 'string' && Object.hasOwn(STRING_ERROR_CODES, value.code)) {
    return value.code;
  }
  // fetch() rejects with TypeError('fetch failed', { cause: <the network error> }).
  const cause = value.cause;
  if (
    isRecord(cause) &&
    typeof cause.code === 'string' &&
    Object.hasOwn(STRING_ERROR_CODES, cause.code)
  ) {
    return cause.code;
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<PropertyKey, unknown> {
  return typeof value === 'object' && value !== null;
}

function isJsonRpcErrorShape(value: unknown): value is JsonRpcErrorObject {
  return (
    isRecord(value) &&
    // A DOMException also has a numeric `code` (legacy DOM codes), which is not a JSON-RPC code.
    !(typeof DOMException !== 'undefined' && value instanceof DOMException) &&
    typeof value.code === 'number' &&
    Number.isInteger(value.code) &&
    typeof value.message === 'string'
  );
}

function describe(value: unknown): string {
  if (value instanceof Error) return value.message;
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    // Cycles, BigInt, or an object whose toString/toJSON throws: fall back to its tag.
    return typeof value === 'bigint' ? `${value}n` : Object.prototype.toString.call(value);
  }
}

/**
 * The base of every error fedmcp throws: a local string `code`, the underlying `cause`, and
 * optional structured `data`. Converts to and from JSON-RPC error objects; the wire code and the
 * HTTP status come from the table in `fedmcp-error-codes.ts`.
 *
 * @example
 * ```ts
 * throw new FedmcpError('POLICY_DENIED', 'Calling "github__delete_repo" is not allowed for alice; ask an admin to grant it.', {
 *   data: { tool: 'github__delete_repo' },
 * });
 * ```
 */
export class FedmcpError extends Error {
  /**
   * The local code a subclass stands for; `undefined` on the base class. Used by the inherited
   * static {@link FedmcpError.isInstance} to scope the check to the subclass's code.
   */
  static readonly errorCode: FedmcpErrorCode | undefined = undefined;

  /** The local fedmcp code. */
  readonly code: FedmcpErrorCode;
  /** Structured details, sent on the wire inside `error.data`. */
  readonly data: FedmcpErrorData | undefined;
  /** The JSON-RPC code this error travels as. */
  readonly jsonRpcCode: number;
  readonly [FEDMCP_ERROR_BRAND] = true;
  readonly #wireData: unknown;

  /**
   * @param code - The local fedmcp code.
   * @param message - What happened and what to do next.
   * @param options - Cause, structured data and an optional wire-code override.
   */
  constructor(code: FedmcpErrorCode, message: string, options: FedmcpErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FedmcpError';
    this.code = code;
    this.data = options.data;
    this.jsonRpcCode = options.jsonRpcCode ?? jsonRpcCodeFor(code);
    this.#wireData = options.wireData;
  }

  /** The HTTP status for this error's code. */
  get httpStatus(): number {
    return httpStatusFor(this.code);
  }

  /**
   * Returns true when `value` is a fedmcp error, from this copy of the package or any other
   * (checked through the `Symbol.for('@fedmcp/error')` brand, not the prototype chain). Called on
   * a subclass, it also checks the subclass's code: `PolicyDeniedError.isInstance(error)`.
   * Must be called on the class (`(e) => FedmcpError.isInstance(e)`), not detached.
   */
  static isInstance<T extends FedmcpError>(
    this: abstract new (
      ...args: never[]
    ) => T,
    value: unknown,
  ): value is T {
    if (!isRecord(value) || value[FEDMCP_ERROR_BRAND] !== true) return false;
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass the guard is called on.
    const scope = (this as unknown as { errorCode?: FedmcpErrorCode }).errorCode;
    return scope === undefined || value.code === scope;
  }

  /** `instanceof` follows the brand too, so it works across duplicate installs. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class on the right of instanceof.
    return (FedmcpError.isInstance as (this: unknown, value: unknown) => boolean).call(this, value);
  }

  /**
   * Normalises anything thrown into a {@link FedmcpError}:
   * - a fedmcp error of this copy is returned as is; one of another copy (or a branded object)
   *   is rebuilt with the same code, message, data and cause;
   * - an `AbortError` (DOMException or Error) becomes `CANCELED`; a `TimeoutError`
   *   (`AbortSignal.timeout`) becomes `REQUEST_TIMEOUT`;
   * - an MCP SDK `SdkError` for a timeout becomes `REQUEST_TIMEOUT`; for a closed connection
   *   (`CONNECTION_CLOSED`, `NOT_CONNECTED`, `SEND_FAILED`) or a failed connect,
   *   `UPSTREAM_UNAVAILABLE`; for an unsupported method, `METHOD_NOT_FOUND`; a network error
   *   becomes `UPSTREAM_UNAVAILABLE` (`ECONNREFUSED`, `ENOTFOUND`, …), `TRANSPORT_CLOSED`
   *   (`ECONNRESET`, `EPIPE`) or `REQUEST_TIMEOUT` (`ETIMEDOUT`), also as the `cause` of a
   *   failed `fetch`;
   * - a JSON-RPC-shaped error (`{ code: number, message: string, data? }`, such as the SDK's
   *   `ProtocolError`) keeps its code, message and data; its local code comes from
   *   `data.fedmcpCode` or from the wire code;
   * - anything else becomes `INTERNAL`, with the thrown value as `cause`.
   */
  static from(value: unknown): FedmcpError {
    if (isRecord(value) && value[FEDMCP_ERROR_BRAND] === true) {
      if (isOwnCopy(value)) return value as unknown as FedmcpError;
      const code = isFedmcpErrorCode(value.code) ? value.code : 'INTERNAL';
      return new FedmcpError(code, typeof value.message === 'string' ? value.message : code, {
        cause: value.cause,
        data: isRecord(value.data) ? (value.data as FedmcpErrorData) : undefined,
        jsonRpcCode: typeof value.jsonRpcCode === 'number' ? value.jsonRpcCode : undefined,
      });
    }
    if (isRecord(value) && value.name === 'AbortError') {
      return new FedmcpError('CANCELED', 'The request was canceled before it completed.', {
        cause: value,
      });
    }
    if (isRecord(value) && value.name === 'TimeoutError') {
      return new FedmcpError(
        'REQUEST_TIMEOUT',
        'The request timed out; retry it, or raise the timeout if the operation is slow.',
        { cause: value },
      );
    }
    const stringCode = isRecord(value) ? stringCodeOf(value) : undefined;
    if (isRecord(value) && stringCode !== undefined) {
      const code = STRING_ERROR_CODES[stringCode]!;
      const reason = typeof value.message === 'string' ? value.message : stringCode;
      const step = Object.hasOwn(STRING_CODE_NEXT_STEP, stringCode)
        ? STRING_CODE_NEXT_STEP[stringCode]!
        : NEXT_STEP[code]!;
      const message = step.replace('{reason}', reason);
      return new FedmcpError(code, message, { cause: value });
    }
    if (isJsonRpcErrorShape(value)) {
      return FedmcpError.fromJsonRpcError(value, { cause: value });
    }
    return new FedmcpError(
      'INTERNAL',
      `Unexpected internal error: ${describe(value)}. This is likely a bug; see the cause for details.`,
      { cause: value },
    );
  }

  /**
   * Rebuilds an error from a JSON-RPC error object received on the wire. The local code is
   * `data.fedmcpCode` when it names a known code, otherwise the one the wire code maps to. The wire
   * code is kept as is, so {@link FedmcpError.toJsonRpcError} gives back the same object.
   * @param options.cause - The value to keep as `cause` (for example the SDK error that carried it).
   */
  static fromJsonRpcError(
    error: JsonRpcErrorObject,
    options: { cause?: unknown } = {},
  ): FedmcpError {
    const { cause } = options;
    const rawData = error.data;
    let data: FedmcpErrorData | undefined;
    const code = fedmcpCodeForJsonRpcCode(error.code);
    if (isRecord(rawData) && !Array.isArray(rawData)) {
      const { fedmcpCode, ...rest } = rawData as FedmcpErrorData;
      if (isFedmcpErrorCode(fedmcpCode)) {
        // Sent by a fedmcp hub: rebuild the same error.
        return new FedmcpError(fedmcpCode, error.message, {
          cause,
          data: Object.keys(rest).length > 0 ? rest : undefined,
          jsonRpcCode: error.code,
        });
      }
      data = { ...rawData };
    } else if (rawData !== undefined) {
      // Non-object data (a string, a number, an array) is kept under `value` so it survives.
      data = { value: rawData };
    }
    // Not from fedmcp: relay the original `data` unchanged when the error is sent on.
    return new FedmcpError(code, error.message, {
      cause,
      data,
      jsonRpcCode: error.code,
      wireData: rawData === undefined ? noWireData : rawData,
    });
  }

  /**
   * The JSON-RPC error object for this error: `{ code, message, data }` where `data` holds the
   * local code as `fedmcpCode` next to the error's own data. The cause is never included.
   * An error normalised from a non-fedmcp JSON-RPC error gives back its original code, message
   * and data unchanged.
   */
  toJsonRpcError(): JsonRpcErrorObject {
    if (this.#wireData === noWireData) return { code: this.jsonRpcCode, message: this.message };
    if (this.#wireData !== undefined) {
      return { code: this.jsonRpcCode, message: this.message, data: this.#wireData };
    }
    const data: FedmcpJsonRpcErrorData = { fedmcpCode: this.code, ...this.data };
    return { code: this.jsonRpcCode, message: this.message, data };
  }

  /** A JSON view for logs: name, code, message and data (no stack, no cause). */
  toJSON(): { name: string; code: FedmcpErrorCode; message: string; data?: FedmcpErrorData } {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      ...(this.data === undefined ? {} : { data: this.data }),
    };
  }
}

function isOwnCopy(value: object): boolean {
  let prototype: unknown = Object.getPrototypeOf(value);
  while (prototype !== null) {
    if (prototype === FedmcpError.prototype) return true;
    prototype = Object.getPrototypeOf(prototype);
  }
  return false;
}
