/**
 * The matching pieces of policy rules: subject patterns against principals, tool annotation
 * conditions (with MCP's defaults) and time windows.
 */
import { compileGlob } from './glob.js';
import type { PolicyCondition } from './policy-schema.js';
import type { Principal } from './principal.js';

// MCP 2025-11-25 server/tools: ToolAnnotations defaults when a hint is absent.
export const ANNOTATION_DEFAULTS: Readonly<Record<string, unknown>> = {
  readOnlyHint: false,
  destructiveHint: true,
  idempotentHint: false,
  openWorldHint: true,
};

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/** Compiles a subject pattern (`*`, `user:…`, `group:…`, `scope:…`, `via:…`, `method:…`, `issuer:…`). */
export function compileSubject(pattern: string): (principal: Principal) => boolean {
  if (pattern === '*') return () => true;
  const separator = pattern.indexOf(':');
  const kind = pattern.slice(0, separator);
  const matcher = compileGlob(pattern.slice(separator + 1));
  switch (kind) {
    case 'user':
      return (principal) => matcher(principal.subject);
    case 'group':
      return (principal) => principal.groups.some(matcher);
    case 'scope':
      return (principal) => principal.scopes.some(matcher);
    case 'via':
      return (principal) => (principal.via ?? []).some(matcher);
    case 'method':
      return (principal) => matcher(principal.authMethod);
    default:
      return (principal) => principal.issuer !== undefined && matcher(principal.issuer);
  }
}

function minutesOfDay(text: string): number {
  return Number(text.slice(0, 2)) * 60 + Number(text.slice(3, 5));
}

/** Whether `now` falls in the window, in the window's time zone. */
export function timeMatches(window: NonNullable<PolicyCondition['time']>, now: Date): boolean {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: window.timeZone ?? 'UTC',
    hourCycle: 'h23',
    hour: '2-digit',
    minute: '2-digit',
    weekday: 'short',
  }).formatToParts(now);
  const part = (type: string) => parts.find((item) => item.type === type)?.value ?? '';
  const minutes = Number(part('hour')) * 60 + Number(part('minute'));
  const day = part('weekday').toLowerCase().slice(0, 3) as (typeof WEEKDAYS)[number];
  if (window.days && !window.days.includes(day)) return false;
  const from = minutesOfDay(window.from);
  const to = minutesOfDay(window.to);
  return from <= to ? minutes >= from && minutes < to : minutes >= from || minutes < to;
}
