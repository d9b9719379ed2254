/**
 * The hub's errors: every one is a `FedmcpError` of `@fedmcp/protocol`. They become the SDK's
 * `ProtocolError` in one place only, where the hub answers the SDK (`sdk-seams.ts`).
 */
import { FedmcpError, type FedmcpErrorCode } from '@fedmcp/protocol';

/** A hub error with a local code, a message that says what to do next, and wire `data`. */
export function hubError(
  code: FedmcpErrorCode,
  message: string,
  data: Record<string, unknown> = {},
): FedmcpError {
  return new FedmcpError(code, message, { data });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Whether a failure says the connection to the upstream is unhealthy (counts for the breaker). */
export function isTransportFailure(error: unknown): boolean {
  const code = isRecord(error) ? error.code : undefined;
  return code === 'REQUEST_TIMEOUT' || code === 'CONNECTION_CLOSED' || code === 'SEND_FAILED';
}

/**
 * Turns anything thrown while forwarding a request upstream into the error the downstream
 * client gets: an upstream JSON-RPC error keeps its code, message and data exactly as the
 * upstream sent them (the SDK v2 client adds no `MCP error <code>: ` prefix, and one an SDK v1
 * upstream wrote into its own message is the upstream's wire message: pinned by
 * `upstream-errors.test.ts`); a `FedmcpError` keeps its wire code and local code and
 * names the upstream; an SDK timeout becomes `REQUEST_TIMEOUT`; a closed connection
 * `UPSTREAM_UNAVAILABLE`; an abort `CANCELED`; anything else `INTERNAL`.
 */
export function upstreamError(error: unknown, upstreamId?: string): FedmcpError {
  const where = upstreamId === undefined ? 'the upstream' : `upstream "${upstreamId}"`;
  const named = upstreamId === undefined ? {} : { upstream: upstreamId };
  if (FedmcpError.isInstance(error)) {
    if (error.data?.upstream !== undefined || upstreamId === undefined) return error;
    // A local error of another package (e.g. @fedmcp/transports): keep its codes, add the upstream.
    return new FedmcpError(error.code, error.message, {
      cause: error.cause,
      data: { ...error.data, ...named },
      jsonRpcCode: error.jsonRpcCode,
    });
  }
  if (isRecord(error)) {
    if (error.name === 'AbortError') {
      return hubError('CANCELED', `The request to ${where} was canceled.`);
    }
    const code = error.code;
    if (code === 'REQUEST_TIMEOUT' || error.name === 'TimeoutError') {
      return hubError(
        'REQUEST_TIMEOUT',
        `${where} did not answer in time; retry, or raise its timeoutMs if the operation is slow.`,
        named,
      );
    }
    if (code === 'CONNECTION_CLOSED' || code === 'NOT_CONNECTED' || code === 'SEND_FAILED') {
      return hubError(
        'UPSTREAM_UNAVAILABLE',
        `The connection to ${where} closed before it answered; retry once it is back.`,
        named,
      );
    }
    if (typeof code === 'number' && typeof error.message === 'string') {
      return FedmcpError.fromJsonRpcError(
        { code, message: error.message, data: error.data },
        { cause: error },
      );
    }
  }
  const reason = error instanceof Error ? error.message : String(error);
  return hubError('INTERNAL', `Forwarding to ${where} failed: ${reason}`);
}

/** A failure of a call as the client gets it: the hub's own errors as they are, others mapped. */
export function asClientError(error: unknown, upstreamId: string): FedmcpError {
  return FedmcpError.isInstance(error) ? error : upstreamError(error, upstreamId);
}
