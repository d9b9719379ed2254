import { type FedmcpErrorCode, jsonRpcCodeFor } from '@fedmcp/protocol';
import { ProtocolError } from '@modelcontextprotocol/server';

/** A local hub error code, such as `'UPSTREAM_UNAVAILABLE'` (the table of `@fedmcp/protocol`). */
export type HubErrorCode = FedmcpErrorCode;

/**
 * An error raised by the hub itself (not forwarded from an upstream). It is a JSON-RPC
 * {@link ProtocolError}, so the SDK answers it on the wire with its code, message and data
 * (`data.fedmcpCode` names the local code).
 */
export class HubError extends ProtocolError {
  /** The local code. */
  readonly fedmcpCode: HubErrorCode;

  constructor(code: HubErrorCode, message: string, data: Record<string, unknown> = {}) {
    super(jsonRpcCodeFor(code), message, { fedmcpCode: code, ...data });
    this.name = 'HubError';
    this.fedmcpCode = code;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/**
 * Turns anything thrown while forwarding a request upstream into the error the downstream
 * client gets: an upstream JSON-RPC error keeps its code, message and data (rebuilt with
 * `ProtocolError.fromError`, so no SDK prefix piles up); a `FedmcpError` keeps its wire code
 * and local code; an SDK timeout becomes
 * `REQUEST_TIMEOUT`; a closed connection becomes `UPSTREAM_UNAVAILABLE`; an abort `CANCELED`.
 */
export function toDownstreamError(error: unknown, upstreamId?: string): Error {
  if (error instanceof HubError) return error;
  const where = upstreamId === undefined ? 'the upstream' : `upstream "${upstreamId}"`;
  if (isRecord(error)) {
    if (error.name === 'AbortError') {
      return new HubError('CANCELED', `The request to ${where} was canceled.`);
    }
    const code = error.code;
    if (typeof code === 'string' && typeof error.jsonRpcCode === 'number') {
      // A FedmcpError (e.g. from @fedmcp/transports): keep its codes, add the upstream.
      return new ProtocolError(error.jsonRpcCode, String(error.message), {
        ...(isRecord(error.data) ? error.data : {}),
        fedmcpCode: code,
        ...(upstreamId === undefined ? {} : { upstream: upstreamId }),
      });
    }
    if (code === 'REQUEST_TIMEOUT' || error.name === 'TimeoutError') {
      return new HubError(
        'REQUEST_TIMEOUT',
        `${where} did not answer in time; retry, or raise its timeoutMs if the operation is slow.`,
        upstreamId === undefined ? {} : { upstream: upstreamId },
      );
    }
    if (code === 'CONNECTION_CLOSED' || code === 'NOT_CONNECTED' || code === 'SEND_FAILED') {
      return new HubError(
        'UPSTREAM_UNAVAILABLE',
        `The connection to ${where} closed before it answered; retry once it is back.`,
        upstreamId === undefined ? {} : { upstream: upstreamId },
      );
    }
    if (typeof code === 'number' && typeof error.message === 'string') {
      return ProtocolError.fromError(code, stripSdkPrefix(error.message), error.data);
    }
  }
  return new HubError('INTERNAL', `Forwarding to ${where} failed: ${describe(error)}`);
}

function stripSdkPrefix(message: string): string {
  return message.replace(/^MCP error -?\d+: /, '');
}

function describe(value: unknown): string {
  return value instanceof Error ? value.message : String(value);
}
