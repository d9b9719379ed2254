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

/**
 * Where an attributed call (its client can answer questions, see `UpstreamConnection.asker`)
 * may run: on a connection where only its `party`'s calls run. `exclusive` (a tool that may ask):
 * it waits for such a connection rather than share one with others. `spread` (a tool that has
 * asked before): each of the party's concurrent calls gets a connection of its own while under
 * `maxConnections`, so a question goes to the very call that asked; otherwise the party's calls
 * share its connection, and one is opened only for a party that has none.
 */
export interface Placement {
  readonly party: object;
  readonly exclusive?: boolean;
  readonly spread?: boolean;
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
   * (per-session isolation) the owner's own connection is used. A shared call with a
   * {@link Placement} goes where only its party's calls run, opening another connection while
   * under `maxConnections`, so the questions arriving there stay attributable; beyond that it
   * shares like a plain call, unless `exclusive`: then it waits for such a connection, as a lease
   * does.
   */
  async acquire(
    interactive: boolean,
    owner: object | undefined,
    signal: PoolSignal,
    placement?: Placement,
  ): Promise<UpstreamConnection> {
    const now = this.acquireNow(interactive, owner, placement?.party);
    if (now !== undefined) return now;
    const upstream = this.owner;
    const deadline = Date.now() + upstream.timeoutMs;
    while (placement !== undefined && !interactive && owner === undefined) {
      const placed = await this.#place(placement);
      if (placed) return placed;
      if (!placement.exclusive) break;
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
      // An attributed call takes it while idle; a busy one is #place's to weigh (it keeps one
      // session's calls on connections serving that session alone).
      (party === undefined || primary.plainCalls === 0)
    ) {
      primary.plainCalls += 1;
      if (party !== undefined) primary.reserve(party); // the session's until its call is tracked
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
   * A connection for an attributed call (see {@link Placement}): one where only its party's calls
   * run, else a new one while under `maxConnections`, else (unless `exclusive`) the least busy
   * shared one; `undefined` when there is none (yet).
   */
  async #place(placement: Placement): Promise<UpstreamConnection | undefined> {
    const { party, exclusive = false, spread = false } = placement;
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
    const mayOpen = shared + this.#opening < upstream.maxConnections;
    if (own && (own.plainCalls === 0 || !spread || !mayOpen)) best = own;
    else if (spread && mayOpen) {
      // A tool that has asked: this call gets a connection of its own (see Placement).
      best = (await this.#openShared()) ?? best;
    } else {
      // A session's concurrent calls of a tool that may still ask stay together on a connection
      // serving it alone, busy or not, as plain calls share the primary: one is opened only for
      // a session that has none, and its other calls wait for that one. Before, one session's
      // burst opened up to maxConnections processes (a desktop client's first parallel calls to
      // a tool started four copies of a stdio server), idle a minute later, once the tool proved
      // quiet (call-upstream.ts `partyOf`: a quiet tool's calls share as plain calls do).
      let opening = this.#openingForParty.get(party);
      if (!opening && mayOpen) {
        opening = this.#openShared();
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

  /**
   * Opens another shared connection; `undefined` when it cannot be opened (the call shares then:
   * a question there may be ambiguous, never misrouted).
   */
  async #openShared(): Promise<UpstreamConnection | undefined> {
    try {
      const connection = await this.#open();
      connection.leased = false; // opened leased (see Upstream.openConnection): shared from here
      return connection;
    } catch {
      return undefined;
    }
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
