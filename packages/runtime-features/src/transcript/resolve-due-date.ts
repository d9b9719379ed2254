/**
 * Finds a due date in an action item ("by Friday", "tomorrow", "next Tuesday", "end of month",
 * "in two weeks", "December 15", "2026-12-15") and resolves it against the meeting date, in UTC.
 * Rules: a bare weekday is its next occurrence after the meeting day; "next <weekday>" is that day
 * in the following Monday-to-Sunday week; "next week" is its Monday; "end of week" is Friday.
 */

const DAY = 86_400_000;
const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];
const NUMBERS: Readonly<Record<string, number>> = {
  a: 1,
  an: 1,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
};
const WEEKDAY = '(sunday|monday|tuesday|wednesday|thursday|friday|saturday)';
const MONTH =
  '(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\\.?';

/** A due date found in a text: the words as said, and the ISO date when resolvable. */
export interface DueDate {
  /** The words that give the date, e.g. `"by Friday"`. */
  text: string;
  /** `YYYY-MM-DD`, when the words resolve against the meeting date (or name a full date). */
  date?: string;
}

/** Days since the epoch of a UTC calendar date. */
const dayOf = (date: Date) => Math.floor(date.getTime() / DAY);
const fromDay = (day: number) => new Date(day * DAY);
const weekdayOf = (day: number) => fromDay(day).getUTCDay();
/** The Monday of the Monday-to-Sunday week holding `day`. */
const mondayOf = (day: number) => day - ((weekdayOf(day) + 6) % 7);
const monthIndex = (name: string) =>
  MONTHS.findIndex((month) => month.startsWith(name.slice(0, 3)));
const utcDay = (year: number, month: number, date: number) =>
  Math.floor(Date.UTC(year, month, date) / DAY);
const count = (word: string) => NUMBERS[word] ?? Number(word);

function addMonths(day: number, months: number): number {
  const date = fromDay(day);
  const target = utcDay(date.getUTCFullYear(), date.getUTCMonth() + months, 1);
  const lastDay = fromDay(
    utcDay(date.getUTCFullYear(), date.getUTCMonth() + months + 1, 0),
  ).getUTCDate();
  return target + Math.min(date.getUTCDate(), lastDay) - 1;
}

/** A day on or after `today` of a month and day of month (this year or next), or `undefined`. */
function nextDate(today: number, month: number, date: number, year?: number): number | undefined {
  if (date < 1 || date > 31 || month < 0) return undefined;
  const base = fromDay(today);
  const candidate = utcDay(year ?? base.getUTCFullYear(), month, date);
  return year === undefined && candidate < today
    ? utcDay(base.getUTCFullYear() + 1, month, date)
    : candidate;
}

type Rule = readonly [
  pattern: RegExp,
  resolve: (match: RegExpExecArray, today: number) => number | undefined,
];

/** Rules, most specific first; `today` is the meeting day (days since the epoch). */
const RULES: readonly Rule[] = [
  [/\b(\d{4})-(\d{2})-(\d{2})\b/, (m) => utcDay(Number(m[1]), Number(m[2]) - 1, Number(m[3]))],
  [/\bday after tomorrow\b/, (_, today) => today + 2],
  [/\btomorrow\b/, (_, today) => today + 1],
  [/\b(today|tonight|end of (the )?day|eod|close of business|cob)\b/, (_, today) => today],
  [/\bend of next week\b/, (_, today) => mondayOf(today) + 11],
  [
    /\b(end of (the |this )?week|eow)\b/,
    (_, today) => mondayOf(today) + 4 + (weekdayOf(today) === 6 || weekdayOf(today) === 0 ? 7 : 0),
  ],
  [/\bnext week\b/, (_, today) => mondayOf(today) + 7],
  [
    /\bend of next month\b/,
    (_, today) => {
      const d = fromDay(today);
      return utcDay(d.getUTCFullYear(), d.getUTCMonth() + 2, 0);
    },
  ],
  [
    /\b(end of (the |this )?month|eom)\b/,
    (_, today) => {
      const d = fromDay(today);
      return utcDay(d.getUTCFullYear(), d.getUTCMonth() + 1, 0);
    },
  ],
  [
    /\bnext month\b/,
    (_, today) => {
      const d = fromDay(today);
      return utcDay(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    },
  ],
  [
    /\b(end of (the |this )?quarter|eoq)\b/,
    (_, today) => {
      const d = fromDay(today);
      return utcDay(d.getUTCFullYear(), Math.floor(d.getUTCMonth() / 3) * 3 + 3, 0);
    },
  ],
  [
    /\b(end of (the |this )?year|eoy)\b/,
    (_, today) => utcDay(fromDay(today).getUTCFullYear(), 11, 31),
  ],
  [
    new RegExp(`\\bnext ${WEEKDAY}\\b`),
    (m, today) => mondayOf(today) + 7 + ((WEEKDAYS.indexOf(m[1] ?? '') + 6) % 7),
  ],
  [
    new RegExp(`\\b${WEEKDAY}\\b`),
    (m, today) => today + (((WEEKDAYS.indexOf(m[1] ?? '') - weekdayOf(today) + 6) % 7) + 1),
  ],
  [
    /\bin (a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\d{1,3}) (day|week|month)s?\b/,
    (m, today) => {
      const amount = count(m[1] ?? '');
      return m[2] === 'month'
        ? addMonths(today, amount)
        : today + amount * (m[2] === 'week' ? 7 : 1);
    },
  ],
  [
    new RegExp(`\\b${MONTH} (\\d{1,2})(?:st|nd|rd|th)?(?:,? (\\d{4}))?\\b`),
    (m, today) =>
      nextDate(today, monthIndex(m[1] ?? ''), Number(m[2]), m[3] ? Number(m[3]) : undefined),
  ],
  [
    new RegExp(`\\b(\\d{1,2})(?:st|nd|rd|th)? (?:of )?${MONTH}(?: (\\d{4}))?\\b`),
    (m, today) =>
      nextDate(today, monthIndex(m[2] ?? ''), Number(m[1]), m[3] ? Number(m[3]) : undefined),
  ],
  [
    /\bthe (\d{1,2})(?:st|nd|rd|th)\b/,
    (m, today) => {
      const d = fromDay(today);
      const date = Number(m[1]);
      return date < d.getUTCDate()
        ? nextDate(today, d.getUTCMonth() + 1, date)
        : nextDate(today, d.getUTCMonth(), date);
    },
  ],
];

const LEAD = /\b(by|before|until|till|due|on|for|no later than)\s+(the\s+)?$/;

/**
 * Finds the due date of an action item.
 * @param meetingDate the day the meeting took place; without it only full dates resolve.
 * @returns `undefined` when the text names no date.
 */
export function findDueDate(text: string, meetingDate?: Date): DueDate | undefined {
  const lower = text.toLowerCase();
  for (const [pattern, resolve] of RULES) {
    const match = pattern.exec(lower);
    if (!match) continue;
    const before = LEAD.exec(lower.slice(0, match.index));
    const words = text.slice(before ? before.index : match.index, match.index + match[0].length);
    const isFullDate = pattern === RULES[0]?.[0] || /\d{4}/.test(match[0]);
    const today = meetingDate ? dayOf(meetingDate) : isFullDate ? 0 : undefined;
    const day = today === undefined || Number.isNaN(today) ? undefined : resolve(match, today);
    const date =
      day === undefined || Number.isNaN(day) ? undefined : fromDay(day).toISOString().slice(0, 10);
    return { text: words, ...(date ? { date } : {}) };
  }
  return undefined;
}
