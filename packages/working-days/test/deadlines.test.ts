import { describe, expect, it } from 'vitest';
import { at, calendar } from './helpers.js';

// Rule: the day of acceptance is not counted; the limit ends at 24:00 local of the n-th working
// day after it. addWorkingDays returns that instant (the next day's 00:00 local).
describe('addWorkingDays in Asia/Shanghai', () => {
  const cal = calendar();
  const due = (start: string, n: number) => cal.addWorkingDays(at(start), n).toISOString();
  const end = (date: string) => at(`${date}T00:00:00+08:00`).toISOString(); // 24:00 of the day before

  it('skips a weekend; a Saturday submission counts from Monday', () => {
    expect(due('2026-03-06T15:00:00+08:00', 1)).toBe(end('2026-03-10')); // Fri → Mon 24:00
    expect(due('2026-03-07T10:00:00+08:00', 1)).toBe(end('2026-03-10')); // Sat → Mon 24:00
    expect(due('2026-03-02T09:00:00+08:00', 5)).toBe(end('2026-03-10')); // Mon → next Mon
  });

  it('crosses the Spring Festival with its make-up Saturdays 02-14 and 02-28', () => {
    expect(due('2026-02-13T10:00:00+08:00', 1)).toBe(end('2026-02-15')); // Sat 02-14 works
    expect(due('2026-02-13T10:00:00+08:00', 2)).toBe(end('2026-02-25')); // 02-15..23 off
    expect(due('2026-02-13T10:00:00+08:00', 5)).toBe(end('2026-02-28')); // Fri 02-27
    expect(due('2026-02-13T10:00:00+08:00', 6)).toBe(end('2026-03-01')); // Sat 02-28 works
    expect(due('2026-02-14T16:00:00+08:00', 1)).toBe(end('2026-02-25')); // accepted on make-up day
  });

  it('crosses Mid-Autumn and National Day with 09-20 (Sun) and 10-10 (Sat) working', () => {
    expect(due('2026-09-18T11:00:00+08:00', 1)).toBe(end('2026-09-21')); // Sun 09-20 works
    expect(due('2026-09-23T11:00:00+08:00', 3)).toBe(end('2026-09-30')); // 09-24, 28, 29
    expect(due('2026-09-29T11:00:00+08:00', 2)).toBe(end('2026-10-09')); // 09-30, 10-08
    expect(due('2026-09-29T11:00:00+08:00', 4)).toBe(end('2026-10-11')); // …10-09, Sat 10-10
    expect(due('2026-09-29T11:00:00+08:00', 5)).toBe(end('2026-10-13')); // Sun 10-11 off → 10-12
  });

  it('crosses New Year with Sun 01-04 working', () => {
    expect(due('2025-12-31T17:00:00+08:00', 1)).toBe(end('2026-01-05'));
  });

  it('splits the day at local midnight, not UTC midnight', () => {
    expect(due('2026-01-05T23:59:59+08:00', 1)).toBe(end('2026-01-07')); // Mon → Tue 24:00
    expect(due('2026-01-06T00:00:00+08:00', 1)).toBe(end('2026-01-08')); // Tue → Wed 24:00
    // 16:00Z is already the next day in Shanghai.
    expect(cal.localDateOf(at('2026-01-05T15:59:59.999Z'))).toBe('2026-01-05');
    expect(cal.localDateOf(at('2026-01-05T16:00:00Z'))).toBe('2026-01-06');
  });

  it('refuses a limit that is not a whole number of days ≥ 1', () => {
    expect(() => cal.addWorkingDays(at('2026-03-02T09:00:00+08:00'), 0)).toThrow(RangeError);
    expect(() => cal.addWorkingDays(at('2026-03-02T09:00:00+08:00'), 1.5)).toThrow(RangeError);
    expect(() => cal.addWorkingDays(new Date(Number.NaN), 1)).toThrow(TypeError);
  });
});

describe('workingDaysBetween', () => {
  const cal = calendar();
  it('counts working days after the start day that are complete by the end instant', () => {
    const start = at('2026-02-13T10:00:00+08:00');
    expect(cal.workingDaysBetween(start, at('2026-02-14T23:59:59+08:00'))).toBe(0);
    expect(cal.workingDaysBetween(start, at('2026-02-15T00:00:00+08:00'))).toBe(1);
    expect(cal.workingDaysBetween(start, at('2026-02-24T12:00:00+08:00'))).toBe(1);
    expect(cal.workingDaysBetween(start, at('2026-03-01T00:00:00+08:00'))).toBe(6);
    expect(() => cal.workingDaysBetween(start, at('2026-02-12T00:00:00+08:00'))).toThrow(
      RangeError,
    );
  });
});

describe('another zone with DST: Europe/Berlin', () => {
  const cal = calendar('Europe/Berlin');

  it('finds local midnight on both sides of the spring-forward night', () => {
    // DST starts Sun 2026-03-29 at 02:00 local: that day is 23 hours long.
    expect(cal.startOfDay('2026-03-29').toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(cal.endOfDay('2026-03-29').toISOString()).toBe('2026-03-29T22:00:00.000Z');
    expect(cal.localDateOf(at('2026-03-28T22:59:59.999Z'))).toBe('2026-03-28');
    expect(cal.localDateOf(at('2026-03-28T23:00:00Z'))).toBe('2026-03-29');
    // DST ends Sun 2026-10-25: 25 hours.
    expect(cal.endOfDay('2026-10-25').getTime() - cal.startOfDay('2026-10-25').getTime()).toBe(
      25 * 3_600_000,
    );
  });

  it('deadlines end at Berlin midnight, across the DST change', () => {
    // Fri 23:59:59 CET and Sat 00:00 CET both give Mon 03-30 24:00 CEST (= 22:00Z).
    expect(cal.addWorkingDays(at('2026-03-27T23:59:59+01:00'), 1).toISOString()).toBe(
      '2026-03-30T22:00:00.000Z',
    );
    expect(cal.addWorkingDays(at('2026-03-28T00:00:00+01:00'), 1).toISOString()).toBe(
      '2026-03-30T22:00:00.000Z',
    );
    // Thu 23:59:59 vs Fri 00:00: the one-second difference moves the deadline by a working day.
    expect(cal.addWorkingDays(at('2026-03-26T23:59:59+01:00'), 1).toISOString()).toBe(
      '2026-03-27T23:00:00.000Z',
    );
    expect(cal.addWorkingDays(at('2026-03-27T00:00:00+01:00'), 1).toISOString()).toBe(
      '2026-03-30T22:00:00.000Z',
    );
  });

  it('rejects an unknown time zone at construction', () => {
    expect(() => calendar('Asia/Nowhere')).toThrow(RangeError);
  });
});
