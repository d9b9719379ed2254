/**
 * The connection budget of an MCP host: a cap on open connections overall and per client
 * address, kept below the process's descriptor limit. A connection over a cap first makes room by
 * closing the oldest *idle* connection (one waiting for its request headers, or a keep-alive
 * connection between requests: what a slowloris attacker holds), so a client that sends its
 * request at once is still served; when every connection is busy, the new one is shed: its
 * request is answered 503 with `Retry-After`, and it is closed after a short grace either way.
 * Connections that never carried a request go first, keep-alive ones of served clients last (a
 * client whose pooled connection is closed just as it sends a request sees an error).
 * Both are counted and logged (one line per second at most).
 */
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { Logger } from '@fedmcp/protocol';

/** Counters of a host's connection protections. */
export interface ConnectionGuardStats {
  /** Connections open now (not counting shed ones in their grace period). */
  open: number;
  /** Connections refused (503) because a cap was reached and no idle connection could go. */
  shed: number;
  /** Idle connections closed to make room for new ones. */
  evicted: number;
  /** Requests whose headers or body did not arrive in time (answered 408 by Node). */
  timedOut: number;
  /** Malformed HTTP on a connection (answered 400, 413 or 431). */
  malformed: number;
}

/** Options for {@link createConnectionGuard}. */
export interface ConnectionGuardOptions {
  maxConnections: number;
  maxConnectionsPerAddress: number;
  /** How long a shed connection may stay to receive its 503. @default 1000 */
  shedGraceMs?: number;
  /**
   * How long a keep-alive connection may sit idle between requests before it is closed, swept for
   * every connection at once (a quarter of it at a time) instead of Node's timer armed per
   * response; `0` leaves it to Node (`server.keepAliveTimeout`). @default 0
   */
  keepAliveIdleMs?: number;
  logger: Logger;
}

/** Tracks the connections of one HTTP server. */
export interface ConnectionGuard {
  /** For the server's `connection` event. */
  accept(socket: Socket): void;
  /**
   * A request started on `socket`: `'shed'` when the connection was over a cap (answer 503),
   * else `'ok'`; call {@link ConnectionGuard.requestEnded} when its response closes.
   */
  requestStarted(socket: Socket): 'ok' | 'shed';
  requestEnded(socket: Socket): void;
  /** The connection became a WebSocket: busy until it closes. */
  upgraded(socket: Socket): void;
  /** For the server's `clientError` event: counts it, answers as Node would, closes the socket. */
  clientError(error: NodeJS.ErrnoException, socket: Socket): void;
  readonly stats: Readonly<ConnectionGuardStats>;
}

interface Entry {
  socket: Socket;
  address: string;
  key: string;
  busy: number;
  gone: boolean;
  /** It carried a request already (a keep-alive connection of a served client). */
  served: boolean;
  /** When its last request ended (`Date.now()` time), while it is idle. */
  idleSince: number;
}

/** Idle connections, oldest first (a Set keeps insertion order), overall and per address. */
interface IdleSet {
  all: Set<Entry>;
  byAddress: Map<string, Set<Entry>>;
}

/** Creates the connection budget of a server. */
export function createConnectionGuard(options: ConnectionGuardOptions): ConnectionGuard {
  const { logger } = options;
  const shedGraceMs = options.shedGraceMs ?? 1_000;
  const stats: ConnectionGuardStats = { open: 0, shed: 0, evicted: 0, timedOut: 0, malformed: 0 };
  // By `address|port`: a TLS request's socket is not the TCP socket `connection` saw.
  const entries = new Map<string, Entry>();
  const shedKeys = new Set<string>();
  const perAddress = new Map<string, number>();
  // Idle connections that never carried a request, and keep-alive ones between requests.
  const fresh: IdleSet = { all: new Set(), byAddress: new Map() };
  const kept: IdleSet = { all: new Set(), byAddress: new Map() };
  let lastLog = 0;
  const keepAliveIdleMs = options.keepAliveIdleMs ?? 0;
  let sweeping: NodeJS.Timeout | undefined;
  // Closes the keep-alive connections idle for keepAliveIdleMs, oldest first (`kept.all` is in
  // the order they became idle), and stops at the first sweep that finds none idle.
  const sweepKept = () => {
    if (kept.all.size === 0) {
      clearInterval(sweeping);
      sweeping = undefined;
      return;
    }
    const before = Date.now() - keepAliveIdleMs;
    for (const entry of kept.all) {
      if (entry.idleSince > before) break;
      untrack(entry);
      entry.socket.destroy();
    }
  };

  const keyOf = (socket: Socket) => `${socket.remoteAddress}|${socket.remotePort}`;
  // By socket too, so a request finds its entry without building its key: the socket `connection`
  // saw, and a TLS request's own socket once found by key. A closed one's entry is gone.
  const bySocket = new WeakMap<Socket, Entry>();
  const entryOf = (socket: Socket): Entry | undefined => {
    const known = bySocket.get(socket);
    if (known !== undefined) return known.gone ? undefined : known;
    const entry = entries.get(keyOf(socket));
    if (entry !== undefined) bySocket.set(socket, entry);
    return entry;
  };
  const markIdle = (entry: Entry) => {
    const idle = entry.served ? kept : fresh;
    if (entry.served && keepAliveIdleMs > 0) {
      entry.idleSince = Date.now();
      if (sweeping === undefined) {
        sweeping = setInterval(sweepKept, Math.max(1, keepAliveIdleMs / 4));
        sweeping.unref();
      }
    }
    idle.all.add(entry);
    let set = idle.byAddress.get(entry.address);
    if (!set) {
      set = new Set();
      idle.byAddress.set(entry.address, set);
    }
    set.add(entry);
  };
  const markBusyIn = (idle: IdleSet, entry: Entry) => {
    if (!idle.all.delete(entry)) return;
    const set = idle.byAddress.get(entry.address);
    set?.delete(entry);
    if (set?.size === 0) idle.byAddress.delete(entry.address);
  };
  const markBusy = (entry: Entry) => {
    markBusyIn(fresh, entry);
    markBusyIn(kept, entry);
  };
  const untrack = (entry: Entry) => {
    if (entry.gone) return;
    entry.gone = true;
    markBusy(entry);
    entries.delete(entry.key);
    stats.open -= 1;
    const count = (perAddress.get(entry.address) ?? 1) - 1;
    if (count <= 0) perAddress.delete(entry.address);
    else perAddress.set(entry.address, count);
  };
  const evictOldest = (set: Set<Entry> | undefined): boolean => {
    const oldest = set?.values().next().value;
    if (!oldest) return false;
    untrack(oldest);
    oldest.socket.destroy();
    stats.evicted += 1;
    return true;
  };
  const report = (what: string, address: string) => {
    const now = Date.now();
    if (now - lastLog < 1_000) return;
    lastLog = now;
    logger.warn(
      {
        address,
        ...stats,
        maxConnections: options.maxConnections,
        maxConnectionsPerAddress: options.maxConnectionsPerAddress,
      },
      what,
    );
  };

  return {
    stats,
    accept(socket) {
      const address = socket.remoteAddress ?? 'unknown';
      const key = keyOf(socket);
      const evictedBefore = stats.evicted;
      let room = true;
      if ((perAddress.get(address) ?? 0) >= options.maxConnectionsPerAddress) {
        room =
          evictOldest(fresh.byAddress.get(address)) || evictOldest(kept.byAddress.get(address));
      }
      if (room && stats.open >= options.maxConnections) {
        room = evictOldest(fresh.all) || evictOldest(kept.all);
      }
      if (room && stats.evicted > evictedBefore) {
        report('Connection limit reached: closed idle connections to make room', address);
      }
      if (!room) {
        stats.shed += 1;
        shedKeys.add(key);
        const timer = setTimeout(() => socket.destroy(), shedGraceMs);
        timer.unref();
        socket.once('close', () => {
          clearTimeout(timer);
          shedKeys.delete(key);
        });
        report('Connection limit reached: shedding new connections with 503', address);
        return;
      }
      const entry: Entry = {
        socket,
        address,
        key,
        busy: 0,
        gone: false,
        served: false,
        idleSince: 0,
      };
      entries.set(key, entry);
      bySocket.set(socket, entry);
      perAddress.set(address, (perAddress.get(address) ?? 0) + 1);
      stats.open += 1;
      markIdle(entry);
      socket.once('close', () => untrack(entry));
    },
    requestStarted(socket) {
      if (shedKeys.size > 0 && shedKeys.has(keyOf(socket))) return 'shed';
      const entry = entryOf(socket);
      if (entry) {
        entry.busy += 1;
        entry.served = true;
        markBusy(entry);
      }
      return 'ok';
    },
    requestEnded(socket) {
      const entry = entryOf(socket);
      if (!entry || entry.gone) return;
      entry.busy = Math.max(0, entry.busy - 1);
      if (entry.busy === 0 && !socket.destroyed) markIdle(entry);
    },
    upgraded(socket) {
      const entry = entryOf(socket);
      if (!entry) return;
      entry.busy += 1;
      markBusy(entry);
    },
    clientError(error, socket) {
      const timedOut = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
      if (timedOut) stats.timedOut += 1;
      else if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') stats.malformed += 1;
      const address = socket.remoteAddress ?? 'unknown';
      if (timedOut)
        report('Closed connections whose request did not arrive in time (408)', address);
      else if (error.code?.startsWith('HPE_')) report('Refused malformed HTTP requests', address);
      // As Node's default (lib/_http_server.js socketOnError): answer unless a response of this
      // connection has begun already (`_httpMessage` is the response in flight).
      const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })
        ._httpMessage;
      if (socket.writable && !inFlight?.headersSent && error.code !== 'ECONNRESET') {
        const status =
          error.code === 'HPE_HEADER_OVERFLOW'
            ? '431 Request Header Fields Too Large'
            : error.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW'
              ? '413 Content Too Large'
              : timedOut
                ? '408 Request Timeout'
                : '400 Bad Request';
        socket.write(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      }
      socket.destroy();
    },
  };
}

/**
 * The default cap on open connections: 80% of the process's open-file limit (the rest is for
 * upstream pipes, the store, logs), at most 10,000. 10,000 where the limit cannot be read.
 */
export function defaultMaxConnections(): number {
  try {
    const limits = readFileSync('/proc/self/limits', 'utf8');
    const match = /^Max open files\s+(\d+)/m.exec(limits);
    const soft = match ? Number(match[1]) : Number.NaN;
    if (Number.isFinite(soft) && soft > 0) {
      return Math.max(64, Math.min(10_000, Math.floor(soft * 0.8)));
    }
  } catch {
    // Not Linux: keep the default.
  }
  return 10_000;
}
