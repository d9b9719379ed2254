/**
 * Small `node:http` helpers of the MCP host: JSON-RPC error answers, refusing a
 * WebSocket upgrade on the raw socket, and Node → web-standard request conversion.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { createJsonRpcError, JsonRpcErrorCode } from '../json-rpc-error.js';
import { attachPeerCertificate } from './peer-certificate.js';
import { directRequestUrl, resolvedRequestUrl } from './request-url.js';

/** The first value of a header that may repeat. */
export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The headers of a Node request as web-standard `Headers`. */
export function toHeaders(request: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
}

/** A body-less web-standard `Request` with the method, URL and headers of a Node request. */
export function toBodylessRequest(request: IncomingMessage): Request {
  const init: RequestInit = {
    method: request.method ?? 'GET',
    // Node's header record as is (one copy into the Request): Node joins repeated request
    // headers into one string, except `set-cookie`, the only one it keeps as an array.
    headers:
      request.headers['set-cookie'] === undefined
        ? (request.headers as Record<string, string>)
        : toHeaders(request),
  };
  let bodyless: Request | undefined;
  const direct = directRequestUrl(request);
  if (direct !== undefined) {
    try {
      bodyless = new Request(direct, init);
    } catch {
      // an invalid port or IPv6 literal: the general path decides
    }
  }
  bodyless ??= new Request(resolvedRequestUrl(request), init);
  attachPeerCertificate(request, bodyless);
  return bodyless;
}

/** Answers with a JSON body (ends the response even when headers were already sent). */
export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (response.headersSent) {
    if (!response.writableEnded) response.end();
    return;
  }
  const text = JSON.stringify(body);
  response.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
  });
  response.end(text);
}

/** Answers with an HTTP status and a JSON-RPC error body (`id: null`). */
export function sendJsonRpcError(
  response: ServerResponse,
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  sendJson(response, status, createJsonRpcError(code, message), headers);
}

/** Status, message and `Retry-After` of a refused new session. */
export function sessionRefusalAnswer(reason: 'full' | 'quota'): {
  status: 429 | 503;
  message: string;
  retryAfterSeconds: number;
} {
  return reason === 'quota'
    ? {
        status: 429,
        message:
          'Too Many Requests: you hold as many sessions as one client may (maxSessionsPerPrincipal); close one (DELETE it) or retry later',
        retryAfterSeconds: 30,
      }
    : {
        status: 503,
        message: 'Service Unavailable: the server has reached its session limit; retry later',
        retryAfterSeconds: 5,
      };
}

/**
 * Answers a refused new session: 429 when the principal (or anonymous address) is over its
 * quota, 503 when the host is full; both with `Retry-After`.
 */
export function refuseSession(response: ServerResponse, reason: 'full' | 'quota'): void {
  const answer = sessionRefusalAnswer(reason);
  sendJsonRpcError(response, answer.status, JsonRpcErrorCode.transportError, answer.message, {
    'retry-after': String(answer.retryAfterSeconds),
  });
}

/** 503 for new work while the host shuts down. */
export function refuseWhileClosing(response: ServerResponse): void {
  sendJsonRpcError(
    response,
    503,
    JsonRpcErrorCode.transportError,
    'Service Unavailable: the server is shutting down',
    { connection: 'close' },
  );
}

/** 405 with the `Allow` header. */
export function refuseMethod(
  response: ServerResponse,
  method: string | undefined,
  allow: string,
): void {
  sendJsonRpcError(
    response,
    405,
    JsonRpcErrorCode.transportError,
    `Method Not Allowed: ${method ?? ''}; use ${allow}`,
    { allow },
  );
}

/** Writes a web-standard `Response` (from an authenticate hook) to a Node response. */
export async function sendWebResponse(
  response: ServerResponse,
  webResponse: Response,
): Promise<void> {
  const headers: Record<string, string> = {};
  for (const [name, value] of webResponse.headers) headers[name] = value;
  const text = await webResponse.text();
  response.writeHead(webResponse.status, headers);
  response.end(text);
}

const statusTexts: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  413: 'Content Too Large',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/**
 * Refuses a WebSocket upgrade with a plain HTTP response on the raw socket. `body` is a message
 * wrapped in a JSON-RPC error, or, with `rawBody`, sent as is.
 */
export function rejectUpgrade(
  socket: Duplex,
  status: number,
  body: string,
  options: { headers?: Headers; rawBody?: boolean } = {},
): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const text = options.rawBody
    ? body
    : JSON.stringify(createJsonRpcError(JsonRpcErrorCode.transportError, body));
  const lines = [
    `HTTP/1.1 ${status} ${statusTexts[status] ?? 'Error'}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(text)}`,
    'Connection: close',
  ];
  for (const [name, value] of options.headers ?? []) {
    if (name !== 'content-type' && name !== 'content-length' && name !== 'connection') {
      lines.push(`${name}: ${value}`);
    }
  }
  socket.end(`${lines.join('\r\n')}\r\n\r\n${text}`);
}
