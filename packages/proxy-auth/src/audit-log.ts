/**
 * The audit trail: every authentication result, policy decision, forwarded call, consent change,
 * tool pin change and rate-limit refusal becomes an {@link AuditEvent}, written to every sink —
 * the logger, and an append-only stream in the store. Arguments and results are left out unless
 * opted in, and are redacted when recorded.
 */
import type { Logger } from '@fedmcp/protocol';
import type { AuthMethod, Principal } from './principal.js';
import { type RedactOptions, redactSecrets } from './redact-secrets.js';

/** What an event is about. */
export type AuditEventType = 'auth' | 'policy' | 'call' | 'consent' | 'pin' | 'rate-limit';

/** How it ended; the usual values per type, open to others. */
export type AuditOutcome =
  | 'success'
  | 'failure'
  | 'allowed'
  | 'denied'
  | 'error'
  | 'limited'
  | 'granted'
  | 'revoked'
  | 'quarantined'
  | 'approved'
  | (string & {});

/** Who, as recorded: never the credential itself. */
export interface AuditPrincipal {
  subject: string;
  authMethod: AuthMethod;
  issuer?: string;
  via?: string[];
}

/** One audit record. */
export interface AuditEvent {
  /** ISO 8601 time of the event. */
  time: string;
  type: AuditEventType;
  outcome: AuditOutcome;
  principal?: AuditPrincipal;
  /** The MCP operation (`tools/call`) or auth step. */
  action?: string;
  /** The namespaced name or URI. */
  target?: string;
  /** The upstream id that served it. */
  upstream?: string;
  /** The policy rule that decided, when any. */
  rule?: string;
  /** Why, in one sentence. */
  reason?: string;
  latencyMs?: number;
  /** The W3C trace id of the request. */
  traceId?: string;
  /** Call arguments, only with `recordArguments`, redacted. */
  arguments?: unknown;
  /** Call result, only with `recordResults`, redacted. */
  result?: unknown;
  /** Anything else worth keeping (redacted like arguments). */
  details?: Record<string, unknown>;
}

/** What {@link AuditLog.record} accepts: `time` is filled in and a full principal is trimmed. */
export type AuditEventInput = Omit<AuditEvent, 'time' | 'principal'> & {
  time?: string;
  principal?: Principal | AuditPrincipal;
};

/** Where events go. A sink may be synchronous or return a promise. */
export interface AuditSink {
  write(event: AuditEvent): void | Promise<void>;
}

/** Options of {@link createAuditLog}. */
export interface AuditLogOptions {
  /** Where events go. */
  sinks: readonly AuditSink[];
  /** Keep call arguments in events (redacted). @default false */
  recordArguments?: boolean;
  /** Keep call results in events (redacted). @default false */
  recordResults?: boolean;
  /** How recorded arguments, results and details are redacted. @default secret-like keys and credential shapes */
  redact?: RedactOptions;
  /** Receives sink failures (recording never throws into the request path). @default silent */
  logger?: Logger;
  /** The clock. @default Date.now */
  now?: () => number;
}

/** An audit log. */
export interface AuditLog {
  /** Records an event in every sink; resolves when all sinks took it. Never rejects. */
  record(event: AuditEventInput): Promise<AuditEvent>;
}

function toAuditPrincipal(principal: Principal | AuditPrincipal): AuditPrincipal {
  const recorded: AuditPrincipal = { subject: principal.subject, authMethod: principal.authMethod };
  if (principal.issuer !== undefined) recorded.issuer = principal.issuer;
  if (principal.via?.length) recorded.via = [...principal.via];
  return recorded;
}

/**
 * Creates an audit log.
 *
 * @example
 * ```ts
 * const audit = createAuditLog({ sinks: [createLoggerAuditSink(logger), createStreamAuditSink(store.streams)] });
 * await audit.record({ type: 'policy', outcome: 'denied', principal, action: 'tools/call', target: 'github__delete_repo', rule: 'no-deletes' });
 * ```
 */
export function createAuditLog(options: AuditLogOptions): AuditLog {
  const now = options.now ?? Date.now;
  const redact = (value: unknown) => redactSecrets(value, options.redact);
  const failed = (error: unknown, auditType: AuditEventType): void => {
    options.logger?.error({ err: error, auditType }, 'An audit sink failed to write an event');
  };
  // One ISO string per millisecond: the events of a burst share their clock reading's formatting;
  // within one second only the milliseconds are written (`toISOString` once per second).
  let lastMs = Number.NaN;
  let lastIso = '';
  let secondStart = Number.NaN;
  let secondPrefix = '';
  const isoTime = (ms: number): string => {
    if (ms === lastMs) return lastIso;
    lastMs = ms;
    const millis = ms - secondStart;
    if (millis >= 0 && millis < 1000 && Number.isInteger(millis)) {
      lastIso = `${secondPrefix}${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`;
    } else {
      lastIso = new Date(ms).toISOString();
      // "…T12:34:56." — the rest of this second's strings differ only in their milliseconds.
      const dot = lastIso.length - 4;
      const whole = Number.isInteger(ms) && lastIso[dot] === '.' && lastIso.endsWith('Z');
      secondStart = whole ? ms - Number(lastIso.slice(dot + 1, dot + 4)) : Number.NaN;
      secondPrefix = whole ? lastIso.slice(0, dot + 1) : '';
    }
    return lastIso;
  };
  return {
    // No async frame: the pending sink writes' promise, or an already resolved one.
    record(input) {
      try {
        return recordEvent(input);
      } catch (error) {
        return Promise.reject(error);
      }
    },
  };
  /** Builds the event and writes it to every sink (see `record`). */
  function recordEvent(input: AuditEventInput): Promise<AuditEvent> {
    const { arguments: callArguments, result, details, principal, time } = input;
    // Built field by field (same key order as the JSON always had): no rest pattern, no spread.
    const event = { time: time ?? isoTime(now()) } as AuditEvent;
    for (const key of Object.keys(input)) {
      if (
        key !== 'time' &&
        key !== 'principal' &&
        key !== 'arguments' &&
        key !== 'result' &&
        key !== 'details'
      ) {
        (event as unknown as Record<string, unknown>)[key] = (
          input as unknown as Record<string, unknown>
        )[key];
      }
    }
    if (principal) event.principal = toAuditPrincipal(principal);
    if (options.recordArguments && callArguments !== undefined) {
      event.arguments = redact(callArguments);
    }
    if (options.recordResults && result !== undefined) event.result = redact(result);
    if (details !== undefined) event.details = redact(details) as Record<string, unknown>;
    if (event.reason !== undefined) event.reason = redact(event.reason) as string;
    // Sinks that write synchronously (a logger) cost no promise: only the writes still pending
    // are awaited (issue #18 profile: one audit record per call on every hub of a chain).
    let pending: Promise<void>[] | undefined;
    for (const sink of options.sinks) {
      try {
        const written = sink.write(event);
        if (written) {
          pending ??= [];
          pending.push(written.catch((error) => failed(error, event.type)));
        }
      } catch (error) {
        failed(error, event.type);
      }
    }
    if (!pending) return Promise.resolve(event);
    return (pending.length === 1 ? (pending[0] as Promise<void>) : Promise.all(pending)).then(
      () => event,
    );
  }
}

/** Options of {@link createLoggerAuditSink}. */
export interface LoggerAuditSinkOptions {
  /** @default 'info' */
  level?: 'debug' | 'info' | 'warn';
}

/** A sink that logs each event as `{ audit: event }` with the message `audit <type> <outcome>`. */
export function createLoggerAuditSink(
  logger: Logger,
  options: LoggerAuditSinkOptions = {},
): AuditSink {
  const level = options.level ?? 'info';
  return {
    write(event) {
      logger[level]({ audit: event }, `audit ${event.type} ${event.outcome}`);
    },
  };
}

/** The append side of a stream store (structurally `@fedmcp/store`'s `store.streams`). */
export interface AuditStreamWriter {
  append(stream: string, data: string): Promise<unknown>;
}

/** The read side of a stream store (structurally `@fedmcp/store`'s `store.streams`). */
export interface AuditStreamReader {
  read(
    stream: string,
    options?: { after?: string; limit?: number },
  ): Promise<ReadonlyArray<{ id: string; data: string }>>;
}

/** The stream audit events go to. */
export const DEFAULT_AUDIT_STREAM = 'audit';

/** A sink that appends each event as JSON to an append-only stream. */
export function createStreamAuditSink(
  streams: AuditStreamWriter,
  options: { stream?: string } = {},
): AuditSink {
  const stream = options.stream ?? DEFAULT_AUDIT_STREAM;
  return {
    // The append's own promise (no async frame): the audit log waits for it, not for its value.
    write: (event) => streams.append(stream, JSON.stringify(event)) as Promise<never>,
  };
}

/**
 * Reads audit events back from the stream, oldest first (for `fedmcp audit tail`). Pass the last
 * `id` as `after` to continue. Entries that are not valid JSON are skipped.
 */
export async function readAuditEvents(
  streams: AuditStreamReader,
  options: { stream?: string; after?: string; limit?: number } = {},
): Promise<Array<{ id: string; event: AuditEvent }>> {
  const entries = await streams.read(options.stream ?? DEFAULT_AUDIT_STREAM, {
    ...(options.after === undefined ? {} : { after: options.after }),
    ...(options.limit === undefined ? {} : { limit: options.limit }),
  });
  const events: Array<{ id: string; event: AuditEvent }> = [];
  for (const entry of entries) {
    try {
      events.push({ id: entry.id, event: JSON.parse(entry.data) as AuditEvent });
    } catch {
      // A foreign or damaged entry: skip it rather than stop the tail.
    }
  }
  return events;
}
