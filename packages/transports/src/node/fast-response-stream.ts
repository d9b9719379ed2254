/**
 * The response of a fast-path request (`fastRequest` of `createMcpHttpHost`), answered
 * optimistically as one JSON object and upgraded to an SSE stream only when the handler first
 * sends a message related to the request (a notification, or a server→client request such as
 * sampling): MCP 2025-11-25 basic/transports lets a server answer a POST either way, and decide
 * late. The client's answers to server→client requests arrive as POSTs of their own on the
 * session; the route hands them to {@link FastReplies.deliver}.
 */
import type { ServerResponse } from 'node:http';
import type { McpModernFastSerializedResponse } from '../mcp-modern-fast-request.js';
import type {
  McpFastReply,
  McpFastRequestStream,
  McpFastStreamMessage,
} from '../mcp-session-context.js';

/** The pieces of a reply its handler serialised itself (`McpModernFastSerializedResponse`), if so. */
function serializedPieces(reply: unknown): readonly Uint8Array[] | undefined {
  if (typeof reply !== 'object' || reply === null) return undefined;
  return (reply as Partial<McpModernFastSerializedResponse>).serialized;
}

/** Ids of server→client requests sent on fast streams: strings, never the SDK server's numbers. */
const REQUEST_ID_PREFIX = 'fedmcp-fast-';
let requestCounter = 0;

interface PendingReply {
  resolve(reply: McpFastReply): void;
  reject(error: unknown): void;
}

/** The server→client requests of one session waiting for the client's answer, by id. */
export class FastReplies {
  readonly #pending = new Map<string, PendingReply>();

  /**
   * @param idPrefix the prefix of the request ids (a cluster session's ids name this replica, so
   * an answer POSTed to another replica finds its way back: `cluster-answers.ts`).
   */
  constructor(private readonly idPrefix: string = REQUEST_ID_PREFIX) {}

  /** A fresh request id. */
  nextId(): string {
    requestCounter += 1;
    return `${this.idPrefix}${requestCounter}`;
  }

  /** Waits for the answer to request `id` (removed when `signal` aborts). */
  wait(id: string, signal: AbortSignal | undefined): Promise<McpFastReply> {
    return new Promise<McpFastReply>((resolve, reject) => {
      const onAbort = () => {
        if (this.#pending.delete(id)) reject(signal?.reason);
      };
      if (signal?.aborted) return reject(signal.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(id, {
        resolve: (reply) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(reply);
        },
        reject,
      });
    });
  }

  /**
   * Takes a POSTed JSON-RPC response whose id is one of ours; `false` when the body is anything
   * else (the SDK transport handles it as usual).
   */
  deliver(body: unknown): boolean {
    if (this.#pending.size === 0 || typeof body !== 'object' || body === null) return false;
    const message = body as { id?: unknown; method?: unknown; result?: unknown; error?: unknown };
    if (typeof message.id !== 'string' || message.method !== undefined) return false;
    if (message.result === undefined && message.error === undefined) return false;
    const pending = this.#pending.get(message.id);
    if (!pending) return false;
    this.#pending.delete(message.id);
    pending.resolve(message as McpFastReply);
    return true;
  }

  /** Refuses every request still waiting (the session closed). */
  close(error: unknown): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const waiting of pending) waiting.reject(error);
  }
}

/** One fast request's response: JSON until the first related message, then SSE. */
export class FastResponseStream implements McpFastRequestStream {
  #upgraded = false;
  #ended = false;

  constructor(
    private readonly response: ServerResponse,
    private readonly sessionId: string,
    private readonly replies: FastReplies,
    /**
     * The id of every SSE event once upgraded (a cluster session's: `cluster-request-streams.ts`,
     * so a client can tell another replica that this stream broke); none otherwise.
     */
    private readonly eventId?: string,
  ) {}

  /** Whether the answer became an SSE stream. */
  get upgraded(): boolean {
    return this.#upgraded;
  }

  get open(): boolean {
    return !this.#ended && !this.response.destroyed && !this.response.writableEnded;
  }

  notify(message: McpFastStreamMessage): boolean {
    return this.#write({ jsonrpc: '2.0', ...message });
  }

  request(
    method: string,
    params: Record<string, unknown> | undefined,
    signal?: AbortSignal,
  ): Promise<McpFastReply> {
    const id = this.replies.nextId();
    const reply = this.replies.wait(id, signal);
    const message = params === undefined ? { method } : { method, params };
    if (!this.#write({ jsonrpc: '2.0', id, ...message })) {
      this.replies.deliver({
        jsonrpc: '2.0',
        id,
        error: { code: -32000, message: 'The client closed the stream of this request.' },
      });
    }
    return reply;
  }

  /**
   * Sends the final answer: one JSON object, or the last event of the SSE stream (`undefined`
   * ends an upgraded stream without an answer: the client cancelled the request). A reply the
   * handler serialised itself (`McpModernFastSerializedResponse`) is sent as its bytes.
   */
  end(reply: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    const response = this.response;
    if (response.destroyed || response.writableEnded) return;
    const serialized = serializedPieces(reply);
    if (this.#upgraded) {
      if (reply === undefined) response.end();
      else {
        const data = serialized
          ? Buffer.concat(serialized).toString('utf8')
          : JSON.stringify(reply);
        response.end(`event: message\ndata: ${data}\n\n`);
      }
      return;
    }
    if (response.headersSent) return;
    if (serialized) {
      let length = 0;
      for (const piece of serialized) length += piece.byteLength;
      response.writeHead(200, {
        'content-type': 'application/json',
        'content-length': length,
        'mcp-session-id': this.sessionId,
      });
      // One write of all pieces (Node corks the head and the pieces into one writev).
      response.cork();
      for (const piece of serialized) response.write(piece);
      response.end();
      response.uncork();
      return;
    }
    // One write of the head and the body: Node joins a head and a string body into one string,
    // but `end(text)` (and `write(text)` then `end()`) leaves it corked and flushes it with an
    // empty chunk after it through `writev`. Uncorking after the write sends it alone, and `end()`
    // then has nothing to flush. The head as a flat list: Node stores it without walking an object.
    const text = JSON.stringify(reply);
    response.writeHead(200, [
      'content-type',
      'application/json',
      'content-length',
      String(Buffer.byteLength(text)),
      'mcp-session-id',
      this.sessionId,
    ]);
    response.write(text);
    response.socket?.uncork(); // Node corked it until the next tick in write()
    response.end();
  }

  #write(message: Record<string, unknown>): boolean {
    if (!this.open) return false;
    const response = this.response;
    if (!this.#upgraded) {
      if (response.headersSent) return false;
      this.#upgraded = true;
      response.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'mcp-session-id': this.sessionId,
      });
    }
    const id = this.eventId === undefined ? '' : `id: ${this.eventId}\n`;
    response.write(`event: message\n${id}data: ${JSON.stringify(message)}\n\n`);
    return true;
  }
}
