/**
 * The framing guard in front of the SDK's stdio server transport: it splits stdin into lines,
 * and answers (on stdout, as the transport would) the lines no server should see — one over
 * `maxMessageBytes` (-32600, dropped up to its newline; the connection stays usable, where the
 * SDK's own buffer limit closes it) and one nested deeper than `maxJsonDepth` (-32600/-32602) —
 * reporting each cause through `onRefused`. Only whole, acceptable lines reach the transport.
 */
import { type Readable, Transform, type Writable } from 'node:stream';
import { FedmcpError } from '@fedmcp/protocol';
import { checkJsonDepth, jsonTextDepthExceeds } from '../json-depth.js';
import {
  createJsonRpcError,
  JsonRpcErrorCode,
  type JsonRpcErrorResponse,
} from '../json-rpc-error.js';

/** Options for {@link guardStdioInput}. */
export interface StdioInputGuardOptions {
  stdin: Readable;
  stdout: Writable;
  maxMessageBytes: number;
  maxJsonDepth: number;
  /** Told about every refused line (for logs). */
  onRefused: (error: FedmcpError) => void;
}

const NEWLINE = 0x0a;

/** Returns the stream the transport should read instead of `stdin`, and a function to detach it. */
export function guardStdioInput(options: StdioInputGuardOptions): {
  input: Readable;
  detach: () => void;
} {
  const { maxMessageBytes, maxJsonDepth } = options;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let discarding = false;

  const answer = (reply: JsonRpcErrorResponse, cause: FedmcpError) => {
    options.onRefused(cause);
    if (options.stdout.writable) options.stdout.write(`${JSON.stringify(reply)}\n`);
  };
  const oversize = () =>
    answer(
      createJsonRpcError(
        JsonRpcErrorCode.invalidRequest,
        `Invalid Request: the message exceeds the limit of ${maxMessageBytes} bytes`,
      ),
      new FedmcpError(
        'INVALID_REQUEST',
        `A message on stdin exceeds the limit of ${maxMessageBytes} bytes (maxMessageBytes); it was dropped`,
        { data: { maxMessageBytes } },
      ),
    );
  /** Whether a whole line may go on to the transport (answers it otherwise). */
  const accept = (line: Buffer): boolean => {
    if (!jsonTextDepthExceeds(line, maxJsonDepth)) return true;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line.toString('utf8'));
    } catch {
      return true; // not JSON: the transport answers as it does for any unparsable line
    }
    const reply = checkJsonDepth(parsed, maxJsonDepth);
    if (!reply) return true;
    answer(
      reply,
      new FedmcpError(
        'INVALID_REQUEST',
        `A message on stdin is nested deeper than ${maxJsonDepth} levels (maxJsonDepth); it was refused`,
        { data: { maxJsonDepth } },
      ),
    );
    return false;
  };

  const input = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      const accepted: Buffer[] = [];
      let start = 0;
      for (;;) {
        const newline = chunk.indexOf(NEWLINE, start);
        if (newline === -1) {
          const rest = chunk.subarray(start);
          if (!discarding && rest.length > 0) {
            if (pendingBytes + rest.length > maxMessageBytes) {
              pending = [];
              pendingBytes = 0;
              discarding = true;
              oversize();
            } else {
              pending.push(rest);
              pendingBytes += rest.length;
            }
          }
          break;
        }
        const piece = chunk.subarray(start, newline + 1);
        start = newline + 1;
        if (discarding) {
          discarding = false; // the end of the dropped line
          continue;
        }
        // The newline does not count against the limit.
        if (pendingBytes + piece.length - 1 > maxMessageBytes) {
          pending = [];
          pendingBytes = 0;
          oversize();
          continue;
        }
        const line = pending.length > 0 ? Buffer.concat([...pending, piece]) : piece;
        pending = [];
        pendingBytes = 0;
        if (accept(line)) accepted.push(line);
      }
      if (accepted.length > 0) {
        callback(null, accepted.length === 1 ? accepted[0] : Buffer.concat(accepted));
      } else callback();
    },
  });
  options.stdin.pipe(input);
  const forwardError = (error: Error) => input.destroy(error);
  options.stdin.on('error', forwardError);
  return {
    input,
    detach() {
      options.stdin.off('error', forwardError);
      options.stdin.unpipe(input);
      options.stdin.pause();
    },
  };
}
