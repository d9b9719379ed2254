import { describe, expect, it } from 'vitest';
import { findDueDate } from './resolve-due-date.js';

// Wednesday 2 December 2026.
const meeting = new Date('2026-12-02T15:00:00Z');

describe('findDueDate', () => {
  it.each([
    ['Send the deck by Friday.', 'by Friday', '2026-12-04'],
    ['I will do it tomorrow.', 'tomorrow', '2026-12-03'],
    ['Ship it next Tuesday.', 'next Tuesday', '2026-12-08'],
    ['Finish before the end of the month.', 'before the end of the month', '2026-12-31'],
    ['Rotate the keys by end of month.', 'by end of month', '2026-12-31'],
    ['Get it done by end of week.', 'by end of week', '2026-12-04'],
    ['Review it on Monday.', 'on Monday', '2026-12-07'],
    ['Review it by Wednesday.', 'by Wednesday', '2026-12-09'],
    ['Done by end of day.', 'by end of day', '2026-12-02'],
    ['Draft it in two weeks.', 'in two weeks', '2026-12-16'],
    ['Send it next week.', 'next week', '2026-12-07'],
    ['Sign it before the 15th.', 'before the 15th', '2026-12-15'],
    ['Pay by the 1st.', 'by the 1st', '2027-01-01'],
    ['Launch on January 12.', 'on January 12', '2027-01-12'],
    ['Close it by 2027-02-03.', 'by 2027-02-03', '2027-02-03'],
    ['Plan it by end of next week.', 'by end of next week', '2026-12-11'],
    ['Report by the end of the quarter.', 'by the end of the quarter', '2026-12-31'],
  ])('resolves %j', (text, words, date) => {
    expect(findDueDate(text, meeting)).toEqual({ text: words, date });
  });

  it('keeps the words but no date when the meeting date is unknown, except for full dates', () => {
    expect(findDueDate('Send the deck by Friday.')).toEqual({ text: 'by Friday' });
    expect(findDueDate('Close it by 2027-02-03.')).toEqual({
      text: 'by 2027-02-03',
      date: '2027-02-03',
    });
  });

  it('finds nothing in a sentence without a date', () => {
    expect(findDueDate('Please update the runbook.', meeting)).toBeUndefined();
  });
});
