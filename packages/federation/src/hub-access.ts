/**
 * The hub's access hook: who sees what in lists, whether a request may be forwarded (policy,
 * rate limits, consent), and a record of how each forwarded request ended (audit). The hub calls
 * it with the principal the transport host authenticated (`HubSessionContext.principal`);
 * `createPolicyAccess` builds one from a `@fedmcp/proxy-auth` policy, audit log, rate limiter
 * and consent ledger.
 */
import type { ConsentElicitationParams } from '@fedmcp/proxy-auth';
import type { ElicitRequestFormParams, ElicitResult } from '@modelcontextprotocol/server';

/** The list operations filtered through {@link HubAccess.visible}. */
export type HubListAction =
  | 'tools/list'
  | 'prompts/list'
  | 'resources/list'
  | 'resources/templates/list';

/** One request the hub is about to forward. */
export interface AccessRequest {
  /** The authenticated caller (`HubSessionContext.principal`); undefined without authentication. */
  principal: unknown;
  /** The MCP operation: `tools/call`, `prompts/get`, `resources/read`, `resources/subscribe`, `completion/complete`, `tasks/*`. */
  action: string;
  /** The exposed (namespaced) name or URI. */
  target: string;
  /** The upstream that serves it. */
  upstream: string;
  /** The upstream's own name or URI. */
  upstreamTarget: string;
  /** Call or prompt arguments. */
  arguments?: Record<string, unknown>;
  /** The tool's annotations (tools/call), for consent and policy conditions. */
  annotations?: Record<string, unknown>;
  /** The tool's or prompt's title and description, for a consent question. */
  title?: string;
  description?: string;
  /** Whether the client behind the request can answer a form-mode elicitation. */
  canElicit: boolean;
  /** The request's `_meta` as it goes upstream (trace context, hop trail, on-behalf-of). */
  meta?: Record<string, unknown>;
  /**
   * `_meta` keys the client sent that only this hub may write (a hop trail from a caller that is
   * not a peer hub, an on-behalf-of claim), dropped before forwarding.
   */
  droppedClaims?: string[];
}

/** How a forwarded request ended, for {@link HubAccess.completed}. */
export interface AccessOutcome {
  ok: boolean;
  /** The error the client got, when `ok` is false. */
  error?: unknown;
  /** The result the client got, when `ok` is true. */
  result?: unknown;
  latencyMs: number;
}

/** The request may be forwarded. */
export interface AccessAllow {
  kind: 'allow';
}

/** The request is refused with `error` (a `FedmcpError` such as `PolicyDeniedError`). */
export interface AccessDeny {
  kind: 'deny';
  error: Error;
}

/**
 * The user has to be asked first: the hub sends `elicitation` to the client (a pushed request in
 * the 2025 era, an `input_required` round in 2026-07-28) and passes the answer to `answer`.
 */
export interface AccessAsk {
  kind: 'ask';
  /** The form-mode question (`elicitation/create` params); a consent question of `@fedmcp/proxy-auth` fits. */
  elicitation: ElicitRequestFormParams | ConsentElicitationParams;
  answer(result: ElicitResult): AccessVerdict | Promise<AccessVerdict>;
}

/** What {@link HubAccess.check} decides. */
export type AccessVerdict = AccessAllow | AccessDeny | AccessAsk;

/** The access hook of a hub. Every member is optional. */
export interface HubAccess {
  /**
   * Whether the caller sees an item in a list (a caller never sees what it may not use). Called
   * for every item of every list answer, so keep it synchronous and cheap.
   */
  visible?(principal: unknown, action: HubListAction, target: string, item: ListedItem): boolean;
  /** Decides a request before it is forwarded. */
  check?(request: AccessRequest): AccessVerdict | Promise<AccessVerdict>;
  /**
   * Called once per request `check` allowed, when it ended, before the client gets the answer:
   * the hub waits for a returned promise (the audit record is durable before the response
   * leaves), so keep it to one store write.
   */
  completed?(request: AccessRequest, outcome: AccessOutcome): void | Promise<void>;
  /**
   * Called when a request was refused before it was forwarded — by `check`, by the user's answer,
   * or by the hub (a question the client cannot answer, too many questions waiting) — with the
   * error the client got. The hub waits for a returned promise before answering.
   */
  refused?(request: AccessRequest, error: Error): void | Promise<void>;
}

/** An item of a list answer, as {@link HubAccess.visible} sees it. */
export interface ListedItem {
  upstream: string;
  annotations?: Record<string, unknown>;
}
