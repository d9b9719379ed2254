/**
 * Interactive calls in flight (see `Flow`): by id (the `requestState` of their rounds), by the
 * upstream connection each holds (server→client requests and log messages arriving on it belong
 * to that call alone) and by the session that made them (closed with it). With flow forwarding
 * (replicas on one store), a flow's id names this replica, and retries of another replica's flows
 * are forwarded to it (`cluster/flow-forwarding.ts`).
 */
import type { FedmcpError } from '@fedmcp/protocol';
import type { FlowForwarding } from '../cluster/flow-forwarding.js';
import { Flow } from '../flow.js';
import type { UpstreamConnection } from '../upstream-connection.js';
import type { HubSession } from './session-registry.js';

/** What the registry keeps of a flow besides the flow itself. */
export interface FlowEntry<Outcome = unknown> {
  readonly flow: Flow;
  readonly session: HubSession;
  /** Who made the call (a principal key): only they may answer its questions. */
  readonly owner: string;
  /** Turns the flow's end into the client's answer and records it (map and finish stages). */
  readonly outcome: Outcome;
}

/** The flow registry; see the file comment. */
export class FlowRegistry<Outcome = unknown> {
  readonly #entries = new Map<string, FlowEntry<Outcome>>();
  readonly #byConnection = new Map<UpstreamConnection, Flow>();
  /** Retries of flows other replicas hold go to them (replicas on one store), if set. */
  readonly forwarding: FlowForwarding | undefined;

  constructor(options: { forwarding?: FlowForwarding } = {}) {
    this.forwarding = options.forwarding;
  }

  /** Starts tracking a new interactive call. */
  open(session: HubSession, owner: string, outcome: Outcome): FlowEntry<Outcome> {
    const flow = new Flow({
      ...(this.forwarding ? { id: this.forwarding.newFlowId() } : {}),
      onFinish: (finished) => {
        this.#entries.delete(finished.id);
        for (const [connection, held] of this.#byConnection) {
          if (held === finished) this.#byConnection.delete(connection);
        }
      },
    });
    const entry: FlowEntry<Outcome> = { flow, session, owner, outcome };
    this.#entries.set(flow.id, entry);
    return entry;
  }

  /** Binds a flow to the connection it leased (before the request is sent). */
  attach(flow: Flow, connection: UpstreamConnection): void {
    if (!flow.done) this.#byConnection.set(connection, flow);
  }

  /** The flow `id`, when `owner` made it. */
  get(id: string, owner: string): FlowEntry<Outcome> | undefined {
    const entry = this.#entries.get(id);
    return entry && entry.owner === owner ? entry : undefined;
  }

  /** The live flow holding a connection, if any. */
  onConnection(connection: UpstreamConnection): Flow | undefined {
    const flow = this.#byConnection.get(connection);
    return flow && !flow.done ? flow : undefined;
  }

  /** The connections held by flows of a session. */
  connectionsOf(session: HubSession): UpstreamConnection[] {
    const connections: UpstreamConnection[] = [];
    for (const [connection, flow] of this.#byConnection) {
      if (this.#entries.get(flow.id)?.session === session) connections.push(connection);
    }
    return connections;
  }

  /** Cancels the flow on a connection that closed. */
  cancelOnConnection(connection: UpstreamConnection, error: FedmcpError): void {
    this.#byConnection.get(connection)?.cancel(error);
  }

  /** Cancels every flow of a closed session. */
  cancelSession(session: HubSession, error: FedmcpError): void {
    for (const entry of [...this.#entries.values()]) {
      if (entry.session === session) entry.flow.cancel(error);
    }
  }

  /** Cancels every flow (the hub is closing) and stops forwarding. */
  async close(error: FedmcpError): Promise<void> {
    for (const entry of [...this.#entries.values()]) entry.flow.cancel(error);
    await this.forwarding?.close();
  }
}
