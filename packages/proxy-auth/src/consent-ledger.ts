/**
 * The consent ledger: the user's standing answers to "may this call go through?", kept in the
 * store so that every replica sharing it sees the same grants, denials and revocations. The hub
 * asks {@link ConsentLedger.check} before each call that policy marks `consent: required`; when
 * nothing applies it asks the user (see `consent-elicitation.ts`) and writes the answer with
 * {@link ConsentLedger.record}. Reads always go to the store (no cache), so a revocation takes
 * effect on the next call on every replica.
 *
 * Records live under `<keyPrefix><encoded subject>/<id>`, so a check reads only the caller's
 * records and the `*` (everyone) records.
 */
import { canonicalJson, InvalidConfigError, InvalidRequestError } from '@fedmcp/protocol';
import type { KeyValueEntry, KeyValueStore } from '@fedmcp/store';
import { base64url } from 'jose';
import type { AuditLog, AuditPrincipal } from './audit-log.js';
import { compileGlob } from './glob.js';
import type { Principal } from './principal.js';

/** Whether a record lets calls through or refuses them. */
export type ConsentDecision = 'allow' | 'deny';

/**
 * How long a record lasts: `once` applies to one call and is consumed by it, `until` lasts until
 * `expiresAt`, `always` until revoked.
 */
export type ConsentScope = 'once' | 'until' | 'always';

/** Where a record came from. */
export type ConsentSource = 'elicitation' | 'cli' | 'api';

/** One stored consent decision. */
export interface ConsentRecord {
  /** Opaque, unique id (for `revoke({ id })`). */
  id: string;
  /** Whose consent: a principal subject, or `*` for everyone. */
  subject: string;
  /** The namespaced name it covers, or a glob such as `github__*` (see `glob.ts`). */
  target: string;
  decision: ConsentDecision;
  scope: ConsentScope;
  /** When present, the record covers only calls whose arguments have this {@link argsDigest}. */
  argsDigest?: string;
  /** ISO 8601 time it was recorded. */
  grantedAt: string;
  /** ISO 8601 time it stops applying; set for `until` (and optionally `once`). */
  expiresAt?: string;
  grantedVia: ConsentSource;
  /** The upstream id the target belonged to when consent was given (informational). */
  upstream?: string;
}

/** What {@link ConsentLedger.check} looks up. */
export interface ConsentCheckInput {
  /** The caller's subject (exact). */
  subject: string;
  /** The namespaced name about to be called (exact). */
  target: string;
  /** The {@link argsDigest} of the call's arguments; without it only argument-independent records apply. */
  argsDigest?: string;
  /** Who is calling, for the audit event. */
  principal?: Principal | AuditPrincipal;
  /** The upstream that serves the target, for the audit event. */
  upstream?: string;
  /** The W3C trace id of the request, for the audit event. */
  traceId?: string;
  /** The operation, for the audit event. @default 'tools/call' */
  action?: string;
}

/** What {@link ConsentLedger.record} stores. */
export interface ConsentRecordInput {
  /** A principal subject, or `*` for everyone. */
  subject: string;
  /** An exact namespaced name or a glob (`github__*`). */
  target: string;
  decision: ConsentDecision;
  scope: ConsentScope;
  /** How long the record lasts, in ms: required for `until`, optional for `once`, refused for `always`. */
  periodMs?: number;
  /** Restricts the record to calls with these arguments (from {@link argsDigest}). */
  argsDigest?: string;
  grantedVia: ConsentSource;
  upstream?: string;
  /** Who recorded it, for the audit event. */
  principal?: Principal | AuditPrincipal;
}

/** What {@link ConsentLedger.recordAnswer} takes: the user's answer to the consent elicitation. */
export interface ConsentAnswerInput {
  subject: string;
  target: string;
  /** `parseConsentAnswer(result)` (structurally: decision, scope, periodMs, store, action). */
  answer: {
    decision: ConsentDecision;
    scope: ConsentScope;
    periodMs?: number;
    /** Whether the answer is a standing one to keep; false for allow-once and decline/cancel. */
    store: boolean;
    /** The elicitation's action (`accept`, `decline`, `cancel`), kept in the audit event. */
    action?: string;
  };
  /** Binds a stored answer to these arguments only. @default the answer covers any arguments */
  argsDigest?: string;
  upstream?: string;
  principal?: Principal | AuditPrincipal;
  traceId?: string;
}

/** Which records {@link ConsentLedger.list} returns; fields compare with the stored values exactly. */
export interface ConsentFilter {
  /** Only records stored for this subject (`*` selects the everyone-records). */
  subject?: string;
  /** Only records stored with this target text (a glob record is selected by its pattern). */
  target?: string;
}

/** What {@link ConsentLedger.revoke} removes: one record by id, or every record matching a filter. */
export type ConsentRevokeInput =
  | { id: string; principal?: Principal | AuditPrincipal }
  | (ConsentFilter & { id?: undefined; principal?: Principal | AuditPrincipal });

/** The key/value operations the ledger needs: structurally `@fedmcp/store`'s `store.kv`. */
export type ConsentStore = Pick<KeyValueStore, 'get' | 'set' | 'delete' | 'list'>;

/** Options of {@link createConsentLedger}. */
export interface ConsentLedgerOptions {
  /** Where records live; share it between replicas (`store.kv` of a sqlite or redis store). */
  kv: ConsentStore;
  /** Receives a `consent` event for every grant, denial, use and revocation. @default no audit */
  audit?: AuditLog;
  /** The clock. @default Date.now */
  now?: () => number;
  /** Prefix of the store keys. @default 'consent:' */
  keyPrefix?: string;
}

/** A consent ledger over a shared store. */
export interface ConsentLedger {
  /**
   * The record that decides a call, if any: a deny wins over an allow; `until` records past
   * `expiresAt` do not apply (and are removed); a record with `argsDigest` applies only to calls
   * with that digest. A `once` record that applies is consumed atomically, so it lets exactly one
   * call through across every replica. Audits `used` (allow) or `denied` (deny).
   * @returns the applicable record, or `undefined` when the user has to be asked.
   * @throws {InvalidRequestError} for an empty subject or target.
   */
  check(input: ConsentCheckInput): Promise<ConsentRecord | undefined>;
  /**
   * Stores a decision (with a store TTL when it expires) and audits `granted` or `denied`.
   * @throws {InvalidRequestError} for an empty subject or target, an unknown decision, scope or
   * source, a missing, negative or misplaced `periodMs`, or a malformed `argsDigest`.
   */
  record(input: ConsentRecordInput): Promise<ConsentRecord>;
  /**
   * Takes the user's answer to the consent elicitation: stores a standing one (always, until,
   * deny) like {@link ConsentLedger.record} with `grantedVia: 'elicitation'`, and only audits one
   * that applies to this call alone (allow once: `granted`; decline/cancel: `denied`).
   * @returns the stored record, or `undefined` when nothing was stored.
   * @throws {InvalidRequestError} like {@link ConsentLedger.record}.
   */
  recordAnswer(input: ConsentAnswerInput): Promise<ConsentRecord | undefined>;
  /**
   * Removes one record by id, or every record matching `subject` and/or `target`; audits each as
   * `revoked`. Takes effect on the next check on every replica.
   * @returns how many records were removed.
   * @throws {InvalidRequestError} when neither an id nor a filter is given.
   */
  revoke(input: ConsentRevokeInput): Promise<number>;
  /** Live records, oldest first. Expired ones are left out. */
  list(filter?: ConsentFilter): Promise<ConsentRecord[]>;
}

const DECISIONS: readonly ConsentDecision[] = ['allow', 'deny'];
const SCOPES: readonly ConsentScope[] = ['once', 'until', 'always'];
const SOURCES: readonly ConsentSource[] = ['elicitation', 'cli', 'api'];
const DIGEST_PATTERN = /^sha256:[A-Za-z0-9_-]{43}$/;
const MAX_NAME_LENGTH = 1024;
const EVERYONE = '*';

function invalid(reason: string): InvalidRequestError {
  return new InvalidRequestError({
    reason,
    message: `Invalid consent request: ${reason}.`,
  });
}

function checkName(kind: 'subject' | 'target', value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw invalid(`${kind} must be a non-empty string`);
  }
  if (value.length > MAX_NAME_LENGTH) {
    throw invalid(`${kind} is longer than ${MAX_NAME_LENGTH} characters`);
  }
  // Control characters would make CLI output and audit lines misleading.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: that is what it looks for
  if (/[\u0000-\u001f\u007f]/.test(value)) throw invalid(`${kind} contains control characters`);
  return value;
}

function checkDigest(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !DIGEST_PATTERN.test(value)) {
    throw invalid(
      'argsDigest must be "sha256:" followed by 43 base64url characters (argsDigest())',
    );
  }
  return value;
}

function oneOf<T extends string>(kind: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw invalid(
      `${kind} must be one of ${allowed.map((item) => `"${item}"`).join(', ')}, got ${JSON.stringify(value) ?? 'undefined'}`,
    );
  }
  return value as T;
}

function parseRecord(entry: KeyValueEntry): ConsentRecord | undefined {
  try {
    const value = JSON.parse(entry.value) as Partial<ConsentRecord>;
    if (
      typeof value.id === 'string' &&
      typeof value.subject === 'string' &&
      typeof value.target === 'string' &&
      DECISIONS.includes(value.decision as ConsentDecision) &&
      SCOPES.includes(value.scope as ConsentScope) &&
      typeof value.grantedAt === 'string'
    ) {
      return value as ConsentRecord;
    }
  } catch {
    // A damaged or foreign entry under our prefix: ignore it.
  }
  return undefined;
}

function auditPrincipal(
  principal: Principal | AuditPrincipal | undefined,
): { principal: Principal | AuditPrincipal } | Record<string, never> {
  return principal === undefined ? {} : { principal };
}

function recordDetails(record: ConsentRecord): Record<string, unknown> {
  return {
    consentId: record.id,
    subject: record.subject,
    decision: record.decision,
    scope: record.scope,
    grantedVia: record.grantedVia,
    ...(record.argsDigest === undefined ? {} : { argsDigest: record.argsDigest }),
    ...(record.expiresAt === undefined ? {} : { expiresAt: record.expiresAt }),
  };
}

interface Candidate {
  key: string;
  entry: KeyValueEntry;
  record: ConsentRecord;
}

// Standing records before `once` ones (a once grant is not spent while a standing one covers the
// call), then argument-specific before general, exact targets before globs, newest first.
function rank(candidate: Candidate): number[] {
  const { record } = candidate;
  return [
    record.scope === 'once' ? 1 : 0,
    record.argsDigest === undefined ? 1 : 0,
    record.target.includes('*') || record.target.includes('?') ? 1 : 0,
    -Date.parse(record.grantedAt),
  ];
}

function compareCandidates(left: Candidate, right: Candidate): number {
  const a = rank(left);
  const b = rank(right);
  for (let index = 0; index < a.length; index += 1) {
    const difference = (a[index] ?? 0) - (b[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/**
 * Creates a consent ledger over a key/value store.
 *
 * @throws {InvalidConfigError} when `keyPrefix` is empty.
 * @example
 * ```ts
 * const ledger = createConsentLedger({ kv: store.kv, audit });
 * await ledger.record({ subject: 'alice', target: 'github__*', decision: 'allow', scope: 'always', grantedVia: 'cli' });
 * const consent = await ledger.check({ subject: 'alice', target: 'github__create_issue' }); // the record
 * ```
 */
export function createConsentLedger(options: ConsentLedgerOptions): ConsentLedger {
  const keyPrefix = options.keyPrefix ?? 'consent:';
  if (typeof keyPrefix !== 'string' || keyPrefix === '') {
    throw new InvalidConfigError({ path: 'keyPrefix', reason: 'expected a non-empty string' });
  }
  const { kv, audit } = options;
  const now = options.now ?? Date.now;
  // Subjects are URI-encoded so that `/` ends a subject's key range unambiguously.
  const subjectPrefix = (subject: string) => `${keyPrefix}${encodeURIComponent(subject)}/`;

  async function scan(prefix: string): Promise<Array<{ key: string; entry: KeyValueEntry }>> {
    const found: Array<{ key: string; entry: KeyValueEntry }> = [];
    let cursor: string | undefined;
    do {
      const page = await kv.list({
        prefix,
        limit: 500,
        ...(cursor === undefined ? {} : { cursor }),
      });
      for (const entry of page.entries) found.push({ key: entry.key, entry });
      cursor = page.cursor;
    } while (cursor !== undefined);
    return found;
  }

  const isExpired = (record: ConsentRecord, at: number) =>
    record.expiresAt !== undefined && Date.parse(record.expiresAt) <= at;

  async function live(prefix: string): Promise<Candidate[]> {
    const at = now();
    const candidates: Candidate[] = [];
    for (const { key, entry } of await scan(prefix)) {
      const record = parseRecord(entry);
      if (!record) continue;
      if (isExpired(record, at)) {
        // The store's TTL removes it too; this covers a clock that runs ahead of the store's.
        await kv.delete(key, { expectedVersion: entry.version });
        continue;
      }
      candidates.push({ key, entry, record });
    }
    return candidates;
  }

  async function select(filter: ConsentFilter): Promise<Candidate[]> {
    const candidates = await live(
      filter.subject === undefined ? keyPrefix : subjectPrefix(filter.subject),
    );
    return candidates.filter(
      ({ record }) =>
        (filter.subject === undefined || record.subject === filter.subject) &&
        (filter.target === undefined || record.target === filter.target),
    );
  }

  // The first candidate that still holds: standing records as they are, `once` records only if
  // this caller wins the conditional delete (another replica may have consumed it first).
  async function take(
    candidates: Candidate[],
  ): Promise<{ record: ConsentRecord; consumed: boolean } | undefined> {
    for (const candidate of [...candidates].sort(compareCandidates)) {
      if (candidate.record.scope !== 'once') return { record: candidate.record, consumed: false };
      if (await kv.delete(candidate.key, { expectedVersion: candidate.entry.version })) {
        return { record: candidate.record, consumed: true };
      }
    }
    return undefined;
  }

  const ledger: ConsentLedger = {
    async check(input) {
      const subject = checkName('subject', input?.subject);
      const target = checkName('target', input?.target);
      const digest = checkDigest(input.argsDigest);
      const candidates = [
        ...(await live(subjectPrefix(subject))),
        ...(subject === EVERYONE ? [] : await live(subjectPrefix(EVERYONE))),
      ].filter(
        ({ record }) =>
          (record.subject === subject || record.subject === EVERYONE) &&
          compileGlob(record.target)(target) &&
          (record.argsDigest === undefined || record.argsDigest === digest),
      );
      const chosen =
        (await take(candidates.filter(({ record }) => record.decision === 'deny'))) ??
        (await take(candidates.filter(({ record }) => record.decision === 'allow')));
      if (!chosen) return undefined;
      const { record, consumed } = chosen;
      const upstream = input.upstream ?? record.upstream;
      await audit?.record({
        type: 'consent',
        outcome: record.decision === 'allow' ? 'used' : 'denied',
        action: input.action ?? 'tools/call',
        target,
        ...(upstream === undefined ? {} : { upstream }),
        ...auditPrincipal(input.principal),
        ...(input.traceId === undefined ? {} : { traceId: input.traceId }),
        reason:
          record.decision === 'allow'
            ? `Consent ${record.id} (${record.scope}) allows the call.`
            : `Consent ${record.id} (${record.scope}) denies the call.`,
        details: { ...recordDetails(record), pattern: record.target, consumed },
      });
      return record;
    },

    async record(input) {
      const subject = checkName('subject', input?.subject);
      if (subject !== EVERYONE && (subject.includes('*') || subject.includes('?'))) {
        throw invalid(`subject must be an exact subject or "*", got "${subject}"`);
      }
      const target = checkName('target', input.target);
      const decision = oneOf('decision', input.decision, DECISIONS);
      const scope = oneOf('scope', input.scope, SCOPES);
      const grantedVia = oneOf('grantedVia', input.grantedVia, SOURCES);
      const digest = checkDigest(input.argsDigest);
      const { periodMs } = input;
      if (periodMs !== undefined) {
        if (typeof periodMs !== 'number' || !Number.isFinite(periodMs) || periodMs <= 0) {
          throw invalid(`periodMs must be a positive number of milliseconds, got ${periodMs}`);
        }
        if (scope === 'always') throw invalid('periodMs cannot be given with scope "always"');
      } else if (scope === 'until') {
        throw invalid('scope "until" needs periodMs (how long the consent lasts)');
      }
      if (input.upstream !== undefined && (typeof input.upstream !== 'string' || !input.upstream)) {
        throw invalid('upstream must be a non-empty string when given');
      }
      const at = now();
      const ttlMs = periodMs === undefined ? undefined : Math.ceil(periodMs);
      const record: ConsentRecord = {
        id: crypto.randomUUID(),
        subject,
        target,
        decision,
        scope,
        ...(digest === undefined ? {} : { argsDigest: digest }),
        grantedAt: new Date(at).toISOString(),
        ...(ttlMs === undefined ? {} : { expiresAt: new Date(at + ttlMs).toISOString() }),
        grantedVia,
        ...(input.upstream === undefined ? {} : { upstream: input.upstream }),
      };
      await kv.set(
        `${subjectPrefix(subject)}${record.id}`,
        JSON.stringify(record),
        ttlMs === undefined ? {} : { ttlMs },
      );
      await audit?.record({
        type: 'consent',
        outcome: decision === 'allow' ? 'granted' : 'denied',
        action: 'consent/record',
        target,
        ...(record.upstream === undefined ? {} : { upstream: record.upstream }),
        ...auditPrincipal(input.principal),
        reason: `${decision === 'allow' ? 'Allowed' : 'Denied'} ${target} for ${subject === EVERYONE ? 'everyone' : subject} (${scope}${record.expiresAt ? ` until ${record.expiresAt}` : ''}) via ${grantedVia}.`,
        details: recordDetails(record),
      });
      return record;
    },

    async recordAnswer(input) {
      const answer = input?.answer;
      if (typeof answer !== 'object' || answer === null) throw invalid('answer is missing');
      if (answer.store) {
        return ledger.record({
          subject: input.subject,
          target: input.target,
          decision: answer.decision,
          scope: answer.scope,
          ...(answer.periodMs === undefined ? {} : { periodMs: answer.periodMs }),
          ...(input.argsDigest === undefined ? {} : { argsDigest: input.argsDigest }),
          grantedVia: 'elicitation',
          ...(input.upstream === undefined ? {} : { upstream: input.upstream }),
          ...(input.principal === undefined ? {} : { principal: input.principal }),
        });
      }
      const subject = checkName('subject', input.subject);
      const target = checkName('target', input.target);
      const decision = oneOf('decision', answer.decision, DECISIONS);
      await audit?.record({
        type: 'consent',
        outcome: decision === 'allow' ? 'granted' : 'denied',
        action: 'consent/answer',
        target,
        ...(input.upstream === undefined ? {} : { upstream: input.upstream }),
        ...auditPrincipal(input.principal),
        ...(input.traceId === undefined ? {} : { traceId: input.traceId }),
        reason:
          decision === 'allow'
            ? `${subject} allowed this call of ${target} once.`
            : `${subject} ${answer.action === 'cancel' ? 'cancelled' : answer.action === 'decline' ? 'declined' : 'denied'} this call of ${target}.`,
        details: {
          subject,
          decision,
          scope: 'once',
          stored: false,
          grantedVia: 'elicitation',
          ...(answer.action === undefined ? {} : { answer: answer.action }),
          ...(input.argsDigest === undefined ? {} : { argsDigest: input.argsDigest }),
        },
      });
      return undefined;
    },

    async revoke(input) {
      if (typeof input !== 'object' || input === null)
        throw invalid('revoke needs an id or a filter');
      let chosen: Candidate[];
      if (input.id !== undefined) {
        if (typeof input.id !== 'string' || input.id === '')
          throw invalid('id must be a non-empty string');
        const id = input.id;
        chosen = (await live(keyPrefix)).filter(({ record }) => record.id === id);
      } else {
        if (input.subject === undefined && input.target === undefined) {
          throw invalid(
            'revoke needs an id, a subject or a target (refusing to revoke everything)',
          );
        }
        if (input.subject !== undefined) checkName('subject', input.subject);
        if (input.target !== undefined) checkName('target', input.target);
        chosen = await select(input);
      }
      let revoked = 0;
      for (const candidate of chosen) {
        // Conditional, so a record consumed or revoked meanwhile by another replica counts once.
        if (!(await kv.delete(candidate.key, { expectedVersion: candidate.entry.version })))
          continue;
        revoked += 1;
        await audit?.record({
          type: 'consent',
          outcome: 'revoked',
          action: 'consent/revoke',
          target: candidate.record.target,
          ...(candidate.record.upstream === undefined
            ? {}
            : { upstream: candidate.record.upstream }),
          ...auditPrincipal(input.principal),
          reason: `Revoked consent ${candidate.record.id}.`,
          details: recordDetails(candidate.record),
        });
      }
      return revoked;
    },

    async list(filter = {}) {
      if (filter.subject !== undefined) checkName('subject', filter.subject);
      if (filter.target !== undefined) checkName('target', filter.target);
      return (await select(filter))
        .map(({ record }) => record)
        .sort(
          (left, right) =>
            left.grantedAt.localeCompare(right.grantedAt) || left.id.localeCompare(right.id),
        );
    },
  };
  return ledger;
}

// RFC 8785 (JSON Canonicalization Scheme) in effect: object keys sorted by UTF-16 code units,
// numbers and strings as JSON.stringify writes them, no whitespace.
/**
 * The digest that ties a consent to one set of call arguments: SHA-256 (Web Crypto) over the
 * canonical JSON of `args` (keys sorted at every level, no whitespace), as `sha256:<base64url>`.
 * Key order does not matter; absent arguments (`undefined`) hash like `{}`, as MCP treats them.
 *
 * @throws {InvalidRequestError} when `args` holds a BigInt or a circular reference.
 * @example
 * ```ts
 * await argsDigest({ b: 1, a: [true] }) === await argsDigest({ a: [true], b: 1 }); // true
 * ```
 */
export async function argsDigest(args: unknown): Promise<string> {
  let text: string;
  try {
    text = canonicalJson(args === undefined ? {} : args);
  } catch (error) {
    // A BigInt or a circular reference: say it about the arguments.
    const what = InvalidRequestError.isInstance(error) ? error.data?.unrepresentable : undefined;
    if (typeof what !== 'string') throw error;
    throw invalid(`arguments contain ${what}`);
  }
  const hash = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return `sha256:${base64url.encode(new Uint8Array(hash))}`;
}
