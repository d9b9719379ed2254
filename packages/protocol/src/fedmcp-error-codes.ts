/**
 * The one table of fedmcp error codes: each local string code, the JSON-RPC wire code it
 * travels as, and the HTTP status the hub answers with when the error surfaces at the HTTP
 * layer (admin API, transport handshake, discovery).
 *
 * Wire codes use the JSON-RPC 2.0 standard codes where they fit (-32700, -32600, -32601,
 * -32602, -32603) and otherwise the fedmcp range **-32060 … -32079**, inside JSON-RPC's
 * implementation-defined server error range (-32000 … -32099). The range avoids the codes MCP
 * and its SDKs already use: -32000 (SDK v1 connection closed, and many servers' generic
 * error), -32001 (SDK v1 request timeout), -32002 (resource not found, 2025 era),
 * -32020 … -32022 (header mismatch, missing client capability, unsupported protocol version)
 * and -32042 (URL elicitation required).
 */

/** One row of {@link FEDMCP_ERROR_CODES}. */
export interface FedmcpErrorCodeInfo {
  /** The JSON-RPC error code the local code travels as. */
  readonly jsonRpcCode: number;
  /** The HTTP status used when the error is answered at the HTTP layer. */
  readonly httpStatus: number;
  /** What the code means, in one sentence. */
  readonly description: string;
}

/**
 * Local code → JSON-RPC code → HTTP status. The single source of truth for both mappings.
 */
export const FEDMCP_ERROR_CODES = {
  PARSE_ERROR: {
    jsonRpcCode: -32700,
    httpStatus: 400,
    description: 'The message is not valid JSON.',
  },
  INVALID_REQUEST: {
    jsonRpcCode: -32600,
    httpStatus: 400,
    description: 'The request is malformed or not allowed in the current state.',
  },
  METHOD_NOT_FOUND: {
    jsonRpcCode: -32601,
    httpStatus: 404,
    description: 'The method does not exist or is not offered to this caller.',
  },
  INVALID_PARAMS: {
    jsonRpcCode: -32602,
    httpStatus: 400,
    description: 'The request parameters are invalid.',
  },
  NOT_FOUND: {
    // MCP answers an unknown tool, prompt or resource with -32602 (2025-11-25 server/tools,
    // 2026-07-28 server/resources), so a plain MCP client sees the code it expects.
    jsonRpcCode: -32602,
    httpStatus: 404,
    description: 'The named tool, prompt, resource, upstream or peer does not exist.',
  },
  INTERNAL: {
    jsonRpcCode: -32603,
    httpStatus: 500,
    description: 'An unexpected failure inside the hub.',
  },
  UPSTREAM_UNAVAILABLE: {
    jsonRpcCode: -32060,
    httpStatus: 503,
    description: 'The upstream server or peer hub cannot be reached or its circuit is open.',
  },
  REQUEST_TIMEOUT: {
    jsonRpcCode: -32061,
    httpStatus: 504,
    description: 'The request did not complete in time.',
  },
  POLICY_DENIED: {
    jsonRpcCode: -32062,
    httpStatus: 403,
    description: 'The access policy does not allow this caller to perform this action.',
  },
  CONSENT_REQUIRED: {
    jsonRpcCode: -32063,
    httpStatus: 403,
    description: 'The end user has to consent before this action can run.',
  },
  RATE_LIMITED: {
    jsonRpcCode: -32064,
    httpStatus: 429,
    description: 'The caller exceeded its rate limit.',
  },
  UNAUTHENTICATED: {
    jsonRpcCode: -32065,
    httpStatus: 401,
    description: 'The caller presented no credentials or invalid ones.',
  },
  INVALID_CONFIG: {
    jsonRpcCode: -32066,
    httpStatus: 500,
    description: 'The hub configuration is invalid.',
  },
  CANCELED: {
    jsonRpcCode: -32067,
    // 499 "client closed request" (nginx): the caller gave up, nothing failed on our side.
    httpStatus: 499,
    description: 'The request was canceled by its caller.',
  },
  LOOP_DETECTED: {
    jsonRpcCode: -32068,
    // RFC 5842 §7.2
    httpStatus: 508,
    description: 'The request would revisit a hub or exceed the maximum number of hops.',
  },
  TRANSPORT_CLOSED: {
    jsonRpcCode: -32069,
    httpStatus: 502,
    description: 'The connection closed before the response arrived.',
  },
  // The codes of `@fedmcp/store`'s `StoreError`.
  STORE_UNAVAILABLE: {
    jsonRpcCode: -32070,
    httpStatus: 503,
    description: 'The store (its server) cannot be reached now; retry later.',
  },
  STORE_CLOSED: {
    jsonRpcCode: -32071,
    httpStatus: 503,
    description: 'The store was closed.',
  },
  STORE_TIMEOUT: {
    jsonRpcCode: -32072,
    httpStatus: 504,
    description: 'A store operation did not finish in time.',
  },
  STORE_INVALID_VALUE: {
    jsonRpcCode: -32073,
    httpStatus: 500,
    description: 'A stored value does not fit the operation.',
  },
  STORE_INVALID_ARGUMENT: {
    jsonRpcCode: -32074,
    httpStatus: 400,
    description: 'An argument of a store operation is invalid.',
  },
  STORE_NO_GROUP: {
    jsonRpcCode: -32075,
    httpStatus: 404,
    description: 'The stream consumer group does not exist.',
  },
  STORE_FAILED: {
    jsonRpcCode: -32076,
    httpStatus: 500,
    description: 'The store engine failed.',
  },
} as const satisfies Record<string, FedmcpErrorCodeInfo>;

/** A local fedmcp error code, such as `'POLICY_DENIED'`. */
export type FedmcpErrorCode = keyof typeof FEDMCP_ERROR_CODES;

/** Returns true when `value` is one of the local codes in {@link FEDMCP_ERROR_CODES}. */
export function isFedmcpErrorCode(value: unknown): value is FedmcpErrorCode {
  return typeof value === 'string' && Object.hasOwn(FEDMCP_ERROR_CODES, value);
}

/** The JSON-RPC wire code for a local code. */
export function jsonRpcCodeFor(code: FedmcpErrorCode): number {
  return FEDMCP_ERROR_CODES[code].jsonRpcCode;
}

/** The HTTP status for a local code. */
export function httpStatusFor(code: FedmcpErrorCode): number {
  return FEDMCP_ERROR_CODES[code].httpStatus;
}

// Wire codes outside our table that MCP and its SDKs use, with the local code they mean.
const FOREIGN_WIRE_CODES: Readonly<Record<number, FedmcpErrorCode>> = {
  [-32001]: 'REQUEST_TIMEOUT', // SDK v1 ErrorCode.RequestTimeout
  [-32002]: 'NOT_FOUND', // MCP 2025-11-25 resource not found
};

/**
 * The local code a JSON-RPC wire code stands for, when the error carries no `fedmcpCode`.
 * Codes shared by several local codes resolve to the standard one (-32602 → `INVALID_PARAMS`);
 * unknown codes resolve to `INTERNAL`.
 */
export function fedmcpCodeForJsonRpcCode(jsonRpcCode: number): FedmcpErrorCode {
  for (const [code, info] of Object.entries(FEDMCP_ERROR_CODES)) {
    if (info.jsonRpcCode === jsonRpcCode) return code as FedmcpErrorCode;
  }
  return FOREIGN_WIRE_CODES[jsonRpcCode] ?? 'INTERNAL';
}
