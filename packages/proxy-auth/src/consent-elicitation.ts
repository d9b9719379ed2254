/**
 * The question the hub puts to the user when a call needs consent, as the params of an MCP
 * `elicitation/create` request in form mode, and the reading of the answer. The same params serve
 * a pushed elicitation (2025 era) and an `input_required` round (2026-07-28).
 *
 * MCP 2025-11-25 client/elicitation: a form's `requestedSchema` is a flat object whose properties
 * are primitives only (string, number, integer, boolean, enums); a titled single-select enum is
 * `{ type: 'string', oneOf: [{ const, title }] }` (`enum` + `enumNames` is the legacy spelling).
 */
import { ConsentRequiredError, InvalidConfigError, InvalidRequestError } from '@fedmcp/protocol';
import type { ConsentDecision, ConsentScope } from './consent-ledger.js';
import { type RedactOptions, redactSecrets } from './redact-secrets.js';

/** The choices offered in the `decision` field. */
export type ConsentChoice = 'allow_once' | 'allow_for_period' | 'always_allow' | 'deny';

/** The choices, in the order they are offered. */
export const CONSENT_CHOICES: readonly ConsentChoice[] = [
  'allow_once',
  'allow_for_period',
  'always_allow',
  'deny',
];

/** The periods offered with `allow_for_period` unless configured otherwise. */
export const DEFAULT_CONSENT_PERIODS: readonly string[] = ['15m', '1h', '8h', '24h'];

const CHOICE_TITLES: Readonly<Record<ConsentChoice, string>> = {
  allow_once: 'Allow once',
  allow_for_period: 'Allow for a period',
  always_allow: 'Always allow',
  deny: 'Deny',
};

const UNITS: Readonly<Record<string, { ms: number; name: string }>> = {
  s: { ms: 1_000, name: 'second' },
  m: { ms: 60_000, name: 'minute' },
  h: { ms: 3_600_000, name: 'hour' },
  d: { ms: 86_400_000, name: 'day' },
};

const DURATION_PATTERN = /^([1-9][0-9]{0,5})([smhd])$/;

/**
 * Reads a period such as `15m`, `1h`, `8h`, `7d` (a whole number and one of `s`, `m`, `h`, `d`).
 * @returns the period in milliseconds.
 * @throws {InvalidRequestError} for anything else.
 */
export function parseConsentPeriod(text: string): number {
  const match = typeof text === 'string' ? DURATION_PATTERN.exec(text.trim()) : null;
  const unit = match?.[2] === undefined ? undefined : UNITS[match[2]];
  if (!match || !unit) {
    throw new InvalidRequestError({
      reason: `"${String(text)}" is not a period`,
      message: `Invalid consent period "${String(text)}": use a whole number followed by s, m, h or d (e.g. 15m, 1h, 7d).`,
    });
  }
  return Number(match[1]) * unit.ms;
}

function periodTitle(period: string): string {
  const match = DURATION_PATTERN.exec(period);
  const unit = match?.[2] === undefined ? undefined : UNITS[match[2]];
  if (!match || !unit) return period;
  const count = Number(match[1]);
  return `${count} ${unit.name}${count === 1 ? '' : 's'}`;
}

/** A titled single-select string field (MCP 2025-11-25 `TitledSingleSelectEnumSchema`). */
export interface ConsentChoiceField {
  type: 'string';
  title: string;
  description?: string;
  oneOf: Array<{ const: string; title: string }>;
  default?: string;
}

/** The same field in the legacy spelling (`enum` + `enumNames`) for clients before 2025-11-25. */
export interface LegacyConsentChoiceField {
  type: 'string';
  title: string;
  description?: string;
  enum: string[];
  enumNames: string[];
  default?: string;
}

/** The params of the `elicitation/create` request (form mode). */
export interface ConsentElicitationParams {
  mode: 'form';
  message: string;
  requestedSchema: {
    type: 'object';
    properties: {
      decision: ConsentChoiceField | LegacyConsentChoiceField;
      period: ConsentChoiceField | LegacyConsentChoiceField;
    };
    required: ['decision'];
  };
}

/** Options of {@link consentElicitation}. */
export interface ConsentElicitationOptions {
  /** The namespaced name about to be called (`github__create_issue`). */
  target: string;
  /** The id of the upstream (server) that serves it. */
  upstream: string;
  /** The tool's human title. @default target */
  title?: string;
  /** The tool's description, shortened to 300 characters. @default none */
  description?: string;
  /** The call's arguments, shown redacted and shortened to 2,000 characters. */
  arguments: unknown;
  /** The periods offered with "allow for a period"; the first is the default. @default DEFAULT_CONSENT_PERIODS */
  periodOptions?: readonly string[];
  /** How arguments are redacted. @default secret-like keys and credential shapes (redactSecrets) */
  redact?: RedactOptions;
  /**
   * `'titled'` uses `oneOf` with titles (MCP 2025-11-25); `'legacy'` uses `enum` + `enumNames`
   * for older clients. @default 'titled'
   */
  enumStyle?: 'titled' | 'legacy';
}

const MAX_ARGUMENTS_TEXT = 2_000;
const MAX_DESCRIPTION_TEXT = 300;

function shorten(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

function checkPeriods(periods: readonly string[]): string[] {
  if (!Array.isArray(periods) || periods.length === 0) {
    throw new InvalidConfigError({
      path: 'periodOptions',
      reason: 'expected at least one period such as "1h"',
    });
  }
  for (const period of periods) {
    if (typeof period !== 'string' || !DURATION_PATTERN.test(period)) {
      throw new InvalidConfigError({
        path: 'periodOptions',
        reason: `"${String(period)}" is not a period (a whole number followed by s, m, h or d)`,
      });
    }
  }
  return [...new Set(periods)];
}

function field(
  style: 'titled' | 'legacy',
  title: string,
  description: string,
  options: ReadonlyArray<{ value: string; title: string }>,
  defaultValue?: string,
): ConsentChoiceField | LegacyConsentChoiceField {
  const common = {
    type: 'string' as const,
    title,
    description,
    ...(defaultValue === undefined ? {} : { default: defaultValue }),
  };
  return style === 'legacy'
    ? {
        ...common,
        enum: options.map((option) => option.value),
        enumNames: options.map((option) => option.title),
      }
    : { ...common, oneOf: options.map((option) => ({ const: option.value, title: option.title })) };
}

/**
 * Builds the consent question: what will be called, on which server, with which arguments
 * (secrets redacted), and a form with the `decision` and the `period` for "allow for a period".
 *
 * @throws {InvalidRequestError} for an empty target or upstream.
 * @throws {InvalidConfigError} for a malformed `periodOptions`.
 * @example
 * ```ts
 * const params = consentElicitation({ target: 'github__create_issue', upstream: 'github', arguments: { title: 'Bug' } });
 * const answer = parseConsentAnswer(await client.request({ method: 'elicitation/create', params }));
 * ```
 */
export function consentElicitation(options: ConsentElicitationOptions): ConsentElicitationParams {
  for (const key of ['target', 'upstream'] as const) {
    const value = options?.[key];
    if (typeof value !== 'string' || value.trim() === '') {
      throw new InvalidRequestError({
        reason: `${key} must be a non-empty string`,
        message: `Invalid consent elicitation: ${key} must be a non-empty string.`,
      });
    }
  }
  const periods = checkPeriods(options.periodOptions ?? DEFAULT_CONSENT_PERIODS);
  const style = options.enumStyle ?? 'titled';
  const redacted = redactSecrets(options.arguments ?? {}, options.redact);
  const argumentsText = shorten(JSON.stringify(redacted, null, 2) ?? 'null', MAX_ARGUMENTS_TEXT);
  const name = options.title?.trim()
    ? `${options.title.trim()} (${options.target})`
    : options.target;
  const lines = [
    `Allow the tool ${name} on server "${options.upstream}" to run?`,
    ...(options.description?.trim()
      ? [`Tool description: ${shorten(options.description.trim(), MAX_DESCRIPTION_TEXT)}`]
      : []),
    'Arguments (secrets hidden):',
    argumentsText,
  ];
  return {
    mode: 'form',
    message: lines.join('\n'),
    requestedSchema: {
      type: 'object',
      properties: {
        decision: field(
          style,
          'Your decision',
          'Allow this call once, allow this tool for a period or always, or deny it.',
          CONSENT_CHOICES.map((choice) => ({ value: choice, title: CHOICE_TITLES[choice] })),
        ),
        period: field(
          style,
          'Period',
          'How long "Allow for a period" lasts.',
          periods.map((period) => ({ value: period, title: periodTitle(period) })),
          periods[0],
        ),
      },
      required: ['decision'],
    },
  };
}

/** The user's answer, ready for the consent ledger's `record` (when `store` is true). */
export interface ConsentAnswer {
  decision: ConsentDecision;
  scope: ConsentScope;
  /** Set for `until`: the chosen period in ms. */
  periodMs?: number;
  /** The elicitation's action: `decline` and `cancel` become a `deny` `once` (not to be stored). */
  action: 'accept' | 'decline' | 'cancel';
  /** Whether the hub should store the answer: false for `allow_once` and for decline/cancel. */
  store: boolean;
}

/** Options of {@link parseConsentAnswer}. */
export interface ParseConsentAnswerOptions {
  /** The periods that were offered; a period outside them is refused. @default DEFAULT_CONSENT_PERIODS */
  periodOptions?: readonly string[];
}

/**
 * Reads the result of the consent elicitation. `decline` and `cancel` deny this one call (they
 * are not a standing denial); picking *deny* is (`scope: 'always'`, revocable).
 *
 * @throws {InvalidRequestError} when the result is not an elicitation result, or its content has
 * no known `decision`, or a `period` that was not offered.
 */
export function parseConsentAnswer(
  result: unknown,
  options: ParseConsentAnswerOptions = {},
): ConsentAnswer {
  if (typeof result !== 'object' || result === null) malformedThrow('the result is not an object');
  const { action, content } = result as { action?: unknown; content?: unknown };
  if (action === 'decline' || action === 'cancel') {
    return { decision: 'deny', scope: 'once', action, store: false };
  }
  if (action !== 'accept') {
    malformedThrow(`action must be "accept", "decline" or "cancel", got ${JSON.stringify(action)}`);
  }
  if (typeof content !== 'object' || content === null || Array.isArray(content)) {
    malformedThrow('an accepted answer has no content');
  }
  const { decision, period } = content as { decision?: unknown; period?: unknown };
  switch (decision) {
    case 'allow_once':
      return { decision: 'allow', scope: 'once', action, store: false };
    case 'always_allow':
      return { decision: 'allow', scope: 'always', action, store: true };
    case 'deny':
      return { decision: 'deny', scope: 'always', action, store: true };
    case 'allow_for_period': {
      const periods = checkPeriods(options.periodOptions ?? DEFAULT_CONSENT_PERIODS);
      const chosen = period === undefined ? periods[0] : period;
      if (typeof chosen !== 'string' || !periods.includes(chosen)) {
        malformedThrow(
          `period must be one of ${periods.map((item) => `"${item}"`).join(', ')}, got ${JSON.stringify(period)}`,
        );
      }
      return {
        decision: 'allow',
        scope: 'until',
        periodMs: parseConsentPeriod(chosen),
        action,
        store: true,
      };
    }
    default:
      malformedThrow(
        `decision must be one of ${CONSENT_CHOICES.map((item) => `"${item}"`).join(', ')}, got ${JSON.stringify(decision) ?? 'nothing'}`,
      );
  }
}

function malformedThrow(reason: string): never {
  throw new InvalidRequestError({
    reason,
    message: `Malformed answer to the consent question: ${reason}.`,
  });
}

/** Options of {@link consentRequiredError}. */
export interface ConsentRequiredErrorInput {
  /** The namespaced name that needs consent. */
  target: string;
  /** The caller's subject, put into the pre-grant command. */
  subject: string;
  /** Why the user could not be asked. @default 'this client cannot answer an elicitation (it did not declare the elicitation capability)' */
  reason?: string;
}

// POSIX shell single quotes: only `'` needs escaping.
function shellQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

/**
 * The error for a call that needs consent when the user cannot be asked (a client without the
 * elicitation capability): `CONSENT_REQUIRED` (JSON-RPC -32063), with a message and
 * `data.preGrant` holding the command an operator runs to pre-grant it.
 *
 * @example
 * ```ts
 * throw consentRequiredError({ target: 'github__create_issue', subject: 'alice' });
 * ```
 */
export function consentRequiredError(input: ConsentRequiredErrorInput): ConsentRequiredError {
  const preGrant = `fedmcp consent grant --subject ${shellQuote(input.subject)} --target ${shellQuote(input.target)} --always`;
  const reason =
    input.reason ??
    'this client cannot answer an elicitation (it did not declare the elicitation capability)';
  return new ConsentRequiredError({
    target: input.target,
    message: `Calling "${input.target}" needs the user's consent, and ${reason}. Use a client that supports elicitation, or ask an operator to pre-grant it: ${preGrant} (or --for 8h instead of --always).`,
    data: { subject: input.subject, preGrant },
  });
}
