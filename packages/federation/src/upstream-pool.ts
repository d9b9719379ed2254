/**
 * The connections of one upstream (a pool bounded by `maxConnections`) and how calls hold them:
 * plain calls share any connection not leased (the primary first), an interactive call leases
 * one exclusively (so the server→client requests arriving on it are its own), and per-session
 * isolation gives each downstream session its own. A call that finds every connection busy waits,
 * bounded by the upstream's timeout.
 */
import type { FedmcpError } from '@fedmcp/protocol';
import { hubError } from './errors.js';
import type { UpstreamConnection } from './upstream-connection.js';

/** What the pool needs from its upstream. */
export interface PoolOwner {
  readonly id: string;
  readonly maxConnections: number;
  readonly timeoutMs: number;
  readonly available: boolean;
  unavailable(): FedmcpError;
  /** Opens and registers a new connection (owned by `owner` for per-session isolation). */
  openConnection(owner?: object): Promise<UpstreamConnection>;
}

/**
 * What a waiting acquire reads of the call's abort: an `AbortSignal`, or a host's cancellation
 * (`RawCancellation`), which need no signal built.
 */
export interface PoolSignal {
  readonly aborted: boolean;
}

/** The connection pool of an upstream; see the file comment. */
export class ConnectionPool {
  /** Live connections, the primary among them. */
  readonly connections: UpstreamConnection[] = [];
  /** The shared connection lists, reads and short requests go on. */
  primary: UpstreamConnection | undefined;
  #opening = 0;
  /** Owners whose own connection is being opened. */
  readonly #openingFor = new Set<object>();
  /** The connection being opened for an attributed call's party (upstream-pool `#place`). */
  readonly #openingForParty = new Map<object, Promise<UpstreamConnection | undefined>>();
  #waiters: Array<() => void> = [];

  constructor(private readonly owner: PoolOwner) {}

  /** Adds an opened connection. */
  add(connection: UpstreamConnection): void {
    this.connections.push(connection);
  }

  /** Removes a closed connection (and wakes calls waiting for one). */
  remove(connection: UpstreamConnection): void {
    const index = this.connections.indexOf(connection);
    if (index >= 0) this.connections.splice(index, 1);
    if (connection === this.primary) this.primary = undefined;
    this.#wake();
  }

  /** The connections a downstream session owns (per-session isolation). */
  ownedBy(owner: object): UpstreamConnection[] {
    return this.connections.filter((connection) => connection.owner === owner);
  }

  /**
   * Extra connections idle for at least `idleMs`: never the primary, and an owned one only when
   * `reapOwned(owner)` says so (a caller's, not a session's: a session's closes with it).
   */
  idle(
    idleMs: number,
    now = Date.now(),
    reapOwned: (owner: object) => boolean = () => false,
  ): UpstreamConnection[] {
    return this.connections.filter(
      (connection) =>
        connection !== this.primary &&
        (connection.owner === undefined || reapOwned(connection.owner)) &&
        !connection.leased &&
        connection.plainCalls === 0 &&
        now - connection.idleSince >= idleMs,
    );
  }
  /**
   * Leases a connection for a tools/call. `interactive` calls (their client can answer
   * sampling, elicitation or roots) get one exclusively, so server→client requests arriving on
   * it belong to that call alone; plain calls share any connection not leased. With `owner`
   * (per-session isolation) the owner's own connection is used. A shared call with a `party`
   * (an attributed call: its client can answer questions, see `UpstreamConnection.asker`) goes
   * where only that party's calls run, opening another connection while under `maxConnections`,
   * so the questions arriving there stay attributable; beyond that it shares like a plain call,
   * unless `exclusive` (a tool that may ask): then it waits for such a connection, as a lease does.
   */
  async acquire(
    interactive: boolean,
    owner: object | undefined,
    signal: PoolSignal,
    party?: object,
    exclusive = false,
  ): Promise<UpstreamConnection> {
    const now = this.acquireNow(interactive, owner, party);
    if (now !== undefined) return now;
    const upstream = this.owner;
    const deadline = Date.now() + upstream.timeoutMs;
    while (party !== undefined && !interactive && owner === undefined) {
      const placed = await this.#place(party, exclusive);
      if (placed) return placed;
      if (!exclusive) break;
      if (!upstream.available) throw upstream.unavailable();
      await this.#waitOrTimeOut(deadline, signal);
    }
    for (;;) {
      if (!upstream.available) throw upstream.unavailable();
      const live = this.connections.filter((connection) => !connection.closed && connection.client);
      let candidate: UpstreamConnection | undefined;
      if (owner !== undefined) {
        const owned = live.find((connection) => connection.owner === owner);
        if (!owned && !this.#openingFor.has(owner)) {
          candidate = await this.#open(owner);
        } else if (owned && !owned.leased && (!interactive || owned.plainCalls === 0)) {
          candidate = owned;
        }
      } else {
        const free = live.filter(
          (connection) =>
            connection.owner === undefined &&
            !connection.leased &&
            (!interactive || connection.plainCalls === 0),
        );
        candidate =
          free.find((connection) => connection === this.primary) ??
          free.sort((a, b) => a.plainCalls - b.plainCalls)[0];
        const shared = live.filter((connection) => connection.owner === undefined).length;
        if (!candidate && shared + this.#opening < upstream.maxConnections) {
          candidate = await this.#open();
        }
      }
      if (candidate) {
        // Claim it synchronously: another acquire may run as soon as we yield.
        candidate.leased = interactive;
        if (!interactive) candidate.plainCalls += 1;
        candidate.idleSince = Date.now();
        return candidate;
      }
      await this.#waitOrTimeOut(deadline, signal);
    }
  }

  /**
   * The hot path of {@link ConnectionPool.acquire}, without a promise: a plain call (or an idle
   * attributed one) on the free shared primary connection, claimed at once; `undefined` when
   * `acquire` has more to weigh (call it then).
   */
  acquireNow(
    interactive: boolean,
    owner: object | undefined,
    party?: object,
  ): UpstreamConnection | undefined {
    const primary = this.primary;
    if (
      !interactive &&
      owner === undefined &&
      this.owner.available &&
      primary?.client &&
      !primary.closed &&
      !primary.leased &&
      // An attributed call takes it while idle; a busy one is #place's to weigh (it spreads one
      // session's calls over several connections, each still serving that session alone).
      (party === undefined || primary.plainCalls === 0)
    ) {
      primary.plainCalls += 1;
      return primary;
    }
    return undefined;
  }

  /** Waits for a released connection (at most 1 s, then look again). @throws REQUEST_TIMEOUT */
  async #waitOrTimeOut(deadline: number, signal: PoolSignal): Promise<void> {
    const upstream = this.owner;
    const remaining = deadline - Date.now();
    if (remaining <= 0 || signal.aborted) {
      throw hubError(
        'REQUEST_TIMEOUT',
        `Every connection to upstream "${upstream.id}" stayed busy (maxConnections ${upstream.maxConnections}); retry, or raise maxConnections.`,
        { upstream: upstream.id },
      );
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.min(remaining, 1_000));
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#waiters.push(done);
    });
  }

  /**
   * A connection for an attributed call of `party`: the least busy one where only its calls run,
   * else a new one while under `maxConnections`, else (unless `exclusive`) the least busy shared
   * one; `undefined` when there is none (yet).
   */
  async #place(party: object, exclusive: boolean): Promise<UpstreamConnection | undefined> {
    const upstream = this.owner;
    if (!upstream.available) return undefined;
    // The least busy connection serving only this party (an idle one serves anyone), else the
    // least busy shared one.
    let own: UpstreamConnection | undefined;
    let best: UpstreamConnection | undefined;
    let shared = 0;
    for (const connection of this.connections) {
      if (connection.closed || !connection.client || connection.owner !== undefined) continue;
      shared += 1;
      if (connection.leased) continue;
      if (connection.servesOnly(party)) {
        if (!own || connection.plainCalls < own.plainCalls) own = connection;
      } else if (!best || connection.plainCalls < best.plainCalls) best = connection;
    }
    // One session's concurrent calls stay together on a connection that serves it alone, busy or
    // not, as plain calls share the primary: a connection (stdio: a process) is opened only for a
    // session that has none of its own, so its questions stay attributable. Before, one session's
    // burst opened up to maxConnections processes (a desktop client's first parallel calls to a
    // tool started four copies of a stdio server), idle a minute later, when the tool proved
    // quiet. Only calls of tools that may still ask come here with a party: a quiet tool's calls
    // share as plain calls do (call-upstream.ts `partyOf`).
    if (own) best = own;
    else {
      // The session's other calls wait for the connection being opened for it.
      let opening = this.#openingForParty.get(party);
      if (!opening && shared + this.#opening < upstream.maxConnections) {
        opening = this.#open().then(
          (connection) => {
            connection.leased = false; // opened leased (see Upstream.openConnection): shared now
            return connection;
          },
          // Could not open another one: share (a question there may be ambiguous, never
          // misrouted).
          () => undefined,
        );
        this.#openingForParty.set(party, opening);
        void opening.then(() => this.#openingForParty.delete(party));
      }
      best = (opening && (await opening)) ?? best;
    }
    if (!best || best.closed || best.leased || !best.client) return undefined;
    if (exclusive && !best.servesOnly(party)) return undefined;
    best.plainCalls += 1;
    best.reserve(party);
    best.idleSince = Date.now();
    return best;
  }

  /** Returns a connection after a call (`interactive`: the exclusive lease ends). */
  release(connection: UpstreamConnection, interactive: boolean): void {
    if (interactive) connection.leased = false;
    else connection.plainCalls = Math.max(0, connection.plainCalls - 1);
    connection.idleSince = Date.now();
    this.#wake();
  }

  #wake(): void {
    if (this.#waiters.length === 0) return; // the common case: nothing waits, nothing to allocate
    const waiters = this.#waiters.splice(0);
    for (const wake of waiters) wake();
  }

  async #open(owner?: object): Promise<UpstreamConnection> {
    if (owner === undefined) this.#opening += 1;
    else this.#openingFor.add(owner);
    try {
      return await this.owner.openConnection(owner);
    } finally {
      if (owner === undefined) this.#opening -= 1;
      else this.#openingFor.delete(owner);
    }
  }
}
