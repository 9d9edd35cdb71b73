import { describe, expect, it } from 'vitest';
import { weekdayOf } from '../src/dates.js';
import { CN_YEARS, calendar } from './helpers.js';

// The State Council's notice of 2025-11-04 (国务院办公厅关于2026年部分节假日安排的通知), day by day.
describe('shipped 2026 calendar', () => {
  const cn2026 = CN_YEARS.find((y) => y.year === 2026);

  it('lists exactly the days off and make-up working days of the notice', () => {
    const range = (from: string, to: string) => {
      const days: string[] = [];
      for (let d = new Date(`${from}T00:00:00Z`); d <= new Date(`${to}T00:00:00Z`); ) {
        days.push(d.toISOString().slice(0, 10));
        d = new Date(d.getTime() + 86_400_000);
      }
      return days;
    };
    expect(cn2026?.holidays.map((d) => d.date)).toEqual([
      ...range('2026-01-01', '2026-01-03'),
      ...range('2026-02-15', '2026-02-23'),
      ...range('2026-04-04', '2026-04-06'),
      ...range('2026-05-01', '2026-05-05'),
      ...range('2026-06-19', '2026-06-21'),
      ...range('2026-09-25', '2026-09-27'),
      ...range('2026-10-01', '2026-10-07'),
    ]);
    expect(cn2026?.makeupWorkdays.map((d) => d.date)).toEqual([
      '2026-01-04',
      '2026-02-14',
      '2026-02-28',
      '2026-05-09',
      '2026-09-20',
      '2026-10-10',
    ]);
  });

  it('make-up working days are the weekend days the notice names', () => {
    const weekday = (date: string) =>
      ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][weekdayOf(date)];
    expect(cn2026?.makeupWorkdays.map((d) => `${d.date} ${weekday(d.date)}`)).toEqual([
      '2026-01-04 Sun',
      '2026-02-14 Sat',
      '2026-02-28 Sat',
      '2026-05-09 Sat',
      '2026-09-20 Sun',
      '2026-10-10 Sat',
    ]);
  });

  it('classifies days: weekday, weekend, holiday, make-up working day', () => {
    const cal = calendar();
    expect(cal.dayInfo('2026-03-04')).toEqual({
      date: '2026-03-04',
      kind: 'workday',
      working: true,
    });
    expect(cal.dayInfo('2026-03-07')).toEqual({
      date: '2026-03-07',
      kind: 'weekend',
      working: false,
    });
    expect(cal.dayInfo('2026-02-17')).toMatchObject({
      kind: 'holiday',
      working: false,
      name: { zh: '春节' },
    });
    expect(cal.dayInfo('2026-02-14')).toMatchObject({ kind: 'makeup-workday', working: true });
    expect(cal.isWorkingDay('2026-02-28')).toBe(true);
    expect(cal.isWorkingDay('2026-09-20')).toBe(true);
    expect(cal.isWorkingDay('2026-10-10')).toBe(true);
    expect(cal.isWorkingDay('2026-10-08')).toBe(true);
    expect(cal.isWorkingDay('2026-01-03')).toBe(false); // a holiday on a Saturday
    expect(cal.isWorkingDay('2026-06-19')).toBe(false); // Dragon Boat, a Friday
  });

  it('rejects a malformed date', () => {
    expect(() => calendar().isWorkingDay('2026-02-30')).toThrow(RangeError);
    expect(() => calendar().isWorkingDay('2026-2-3')).toThrow(RangeError);
  });
});
