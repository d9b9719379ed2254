/**
 * Upstream progress and log messages of a call, re-sent on the downstream request's own stream
 * (progress with the downstream's token, notes §6.2). `flush` waits for the notifications in
 * flight, so none lands after the response (on HTTP the request's stream closes with the
 * response, and a late notification would be lost).
 */
import type { ServerContext } from '@modelcontextprotocol/server';
import { notifyOnRequest } from '../sdk-seams.js';

type Params = Record<string, unknown>;

/** A relay of one request's notifications; see the file comment. */
export interface ProgressRelay {
  /** Re-sends upstream progress with the client's token; undefined when the client gave none. */
  onprogress: ((progress: Params) => void) | undefined;
  /** Sends another notification (a log message) on the request's stream. */
  send(method: string, params: Params): void;
  /** Resolves once every notification sent so far is out. */
  flush(): Promise<void>;
}

/** Creates the relay of one downstream request. */
export function createProgressRelay(ctx: ServerContext, progressToken: unknown): ProgressRelay {
  const pending = new Set<Promise<void>>();
  const track = (sent: Promise<void>) => {
    const settled = sent.catch(() => {});
    pending.add(settled);
    void settled.finally(() => pending.delete(settled));
  };
  return {
    onprogress:
      progressToken === undefined
        ? undefined
        : (progress) =>
            track(notifyOnRequest(ctx, 'notifications/progress', { ...progress, progressToken })),
    send: (method, params) => track(notifyOnRequest(ctx, method, params)),
    flush: async () => {
      await Promise.all(pending);
    },
  };
}
