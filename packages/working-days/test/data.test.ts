import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CalendarDataError,
  CalendarRangeError,
  createCalendar,
  type FallbackEvent,
  loadCalendarDirectory,
  loadCalendarYear,
  parseCalendarYear,
} from '../src/index.js';
import { at, CN_YEARS, calendar } from './helpers.js';

const good = () => ({
  year: 2027,
  country: 'CN',
  source: { title: 'test notice', issued: '2026-11-01' },
  holidays: [{ date: '2027-01-01', name: { zh: '元旦', en: "New Year's Day" } }],
  makeupWorkdays: [{ date: '2027-01-02', name: { zh: '调休上班', en: 'Make-up working day' } }],
});

describe('calendar data validation', () => {
  it('accepts well-formed data', () => {
    expect(parseCalendarYear(good()).year).toBe(2027);
  });

  it.each([
    ['not an object', () => [], /expected a JSON object/],
    ['year not an integer', () => ({ ...good(), year: '2027' }), /"year"/],
    [
      'unreal date',
      () => ({ ...good(), holidays: [{ date: '2027-02-30', name: { zh: 'x', en: 'x' } }] }),
      /2027-02-30.*not a real date/,
    ],
    [
      'date in another year',
      () => ({ ...good(), holidays: [{ date: '2026-12-31', name: { zh: 'x', en: 'x' } }] }),
      /not in 2027/,
    ],
    [
      'holiday and make-up day at once',
      () => ({ ...good(), makeupWorkdays: [{ date: '2027-01-01', name: { zh: 'x', en: 'x' } }] }),
      /both a holiday and a make-up working day/,
    ],
    [
      'make-up day on a weekday',
      () => ({ ...good(), makeupWorkdays: [{ date: '2027-01-04', name: { zh: 'x', en: 'x' } }] }),
      /is a weekday/,
    ],
    [
      'date listed twice',
      () => ({ ...good(), holidays: [...good().holidays, ...good().holidays] }),
      /listed twice/,
    ],
    [
      'missing English name',
      () => ({ ...good(), holidays: [{ date: '2027-01-01', name: { zh: '元旦' } }] }),
      /"zh" and "en"/,
    ],
    ['misspelt key', () => ({ ...good(), makeupWorkday: [] }), /unknown key "makeupWorkday"/],
    ['no source', () => ({ ...good(), source: undefined }), /"source"/],
  ])('refuses %s', (_what, make, message) => {
    expect(() => parseCalendarYear(make(), 'cn-2027.json')).toThrow(CalendarDataError);
    expect(() => parseCalendarYear(make(), 'cn-2027.json')).toThrow(message);
  });

  it('checks objects handed to createCalendar too, and refuses a year given twice', () => {
    const bad = { ...good(), holidays: [{ date: '2027-13-01', name: { zh: 'x', en: 'x' } }] };
    expect(() => createCalendar({ years: [bad as never] })).toThrow(CalendarDataError);
    expect(() => createCalendar({ years: [good(), good()] })).toThrow(/given twice/);
  });

  it('loads an operator-supplied file and names it when it is bad', () => {
    const dir = mkdtempSync(join(tmpdir(), 'working-days-'));
    const file = join(dir, 'cn-2027.json');
    writeFileSync(file, JSON.stringify(good()));
    const cal = createCalendar({ years: [...CN_YEARS, loadCalendarYear(file)] });
    expect(cal.years).toEqual([2026, 2027]);
    expect(cal.isWorkingDay('2027-01-02')).toBe(true); // a Saturday made a working day
    expect(loadCalendarDirectory(dir).map((y) => y.year)).toEqual([2027]);

    writeFileSync(file, '{ "year": 2027, ');
    expect(() => loadCalendarYear(file)).toThrow(/cn-2027\.json: not valid JSON/);
    writeFileSync(file, JSON.stringify({ ...good(), year: 2028 }));
    expect(() => loadCalendarYear(file)).toThrow(/cn-2027\.json: invalid calendar data/);
    expect(() => loadCalendarDirectory(dir)).toThrow(CalendarDataError);
    expect(() => loadCalendarYear(join(dir, 'missing.json'))).toThrow(/cannot read/);
  });
});

describe('years the calendar does not know', () => {
  const cal = calendar();

  it('refuses rather than guessing', () => {
    expect(() => cal.isWorkingDay('2025-06-02')).toThrow(CalendarRangeError);
    expect(() => cal.isWorkingDay('2027-01-04')).toThrow(/no holiday calendar for 2027/);
    // Dec 31 counts, then 2027-01-01 is unknown.
    expect(() => cal.addWorkingDays(at('2026-12-30T10:00:00+08:00'), 2)).toThrow(
      CalendarRangeError,
    );
    expect(cal.addWorkingDays(at('2026-12-30T10:00:00+08:00'), 1).toISOString()).toBe(
      at('2027-01-01T00:00:00+08:00').toISOString(),
    );
    expect(() =>
      cal.workingDaysBetween(at('2026-12-30T10:00:00+08:00'), at('2027-01-05T00:00:00+08:00')),
    ).toThrow(CalendarRangeError);
  });

  it('judges by weekday only when asked to, and reports every such day', () => {
    const events: FallbackEvent[] = [];
    const lenient = createCalendar({
      years: CN_YEARS,
      weekendsOnlyFallback: { onFallback: (event) => events.push(event) },
    });
    expect(lenient.addWorkingDays(at('2026-12-31T10:00:00+08:00'), 2).toISOString()).toBe(
      at('2027-01-05T00:00:00+08:00').toISOString(),
    );
    expect(events).toEqual([
      { date: '2027-01-01', year: 2027 },
      { date: '2027-01-02', year: 2027 },
      { date: '2027-01-03', year: 2027 },
      { date: '2027-01-04', year: 2027 },
    ]);
    expect(lenient.dayInfo('2027-01-04')).toMatchObject({ working: true, fallback: true });
  });
});
