import { type CalendarDay, type CalendarYear, parseCalendarYear } from './data.js';
import {
  addDays,
  assertInstant,
  assertLocalDate,
  type LocalDate,
  weekdayOf,
  ZoneClock,
} from './dates.js';
import { CalendarDataError, CalendarRangeError } from './errors.js';

export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

export interface FallbackEvent {
  /** The day that was judged by weekday alone. */
  date: LocalDate;
  year: number;
}

export interface CalendarOptions {
  /** IANA time zone in which days begin and end; default `Asia/Shanghai`. */
  timeZone?: string;
  /** The years the calendar knows (see `loadCalendarYear`, `loadCalendarDirectory`). */
  years: readonly CalendarYear[];
  /**
   * Opt-in only. Without it, any day in a year not in `years` throws CalendarRangeError. With it,
   * such days are judged by weekday alone (Monday–Friday work) and `onFallback` is called for every
   * such day looked up, so the guess is never silent (log it, count it, alert on it).
   */
  weekendsOnlyFallback?: { onFallback: (event: FallbackEvent) => void };
}

export type DayKind = 'workday' | 'weekend' | 'holiday' | 'makeup-workday';

export interface DayInfo {
  date: LocalDate;
  kind: DayKind;
  working: boolean;
  /** The holiday or make-up day's name, from the calendar data. */
  name?: CalendarDay['name'];
  /** True when the year is unknown and the weekends-only fallback judged the day. */
  fallback?: true;
}

export interface WorkingDayCalendar {
  readonly timeZone: string;
  /** Years with data, ascending. */
  readonly years: readonly number[];
  /** The local date (in `timeZone`) at an instant. */
  localDateOf(instant: Date): LocalDate;
  /** The first instant (00:00 local) of a local date. */
  startOfDay(date: LocalDate): Date;
  /** The end (24:00 local, i.e. the next day's 00:00) of a local date. */
  endOfDay(date: LocalDate): Date;
  dayInfo(date: LocalDate): DayInfo;
  isWorkingDay(date: LocalDate): boolean;
  /**
   * The deadline for a time limit of `n` working days (n ≥ 1, an integer) counted from `start`:
   * the day of `start` (acceptance) is not counted; counting begins with the next day; the limit
   * ends at 24:00 local of the n-th working day after it. Returns that instant (the first instant
   * that is late).
   */
  addWorkingDays(start: Date, n: number): Date;
  /**
   * How many working days of a period that began at `start` were complete by `end`: working days
   * X with localDate(start) < X whose 24:00 is ≤ `end`. Inverse of addWorkingDays:
   * workingDaysBetween(s, addWorkingDays(s, n)) === n. Throws if end < start.
   */
  workingDaysBetween(start: Date, end: Date): number;
}

export function createCalendar(options: CalendarOptions): WorkingDayCalendar {
  const timeZone = options.timeZone ?? DEFAULT_TIME_ZONE;
  const zone = new ZoneClock(timeZone);
  const byYear = new Map<number, Map<LocalDate, { kind: DayKind; name: CalendarDay['name'] }>>();
  for (const raw of options.years) {
    // Objects built in code get the same checks as files.
    const year = parseCalendarYear(raw, `calendar year ${String(raw?.year)}`);
    if (byYear.has(year.year)) {
      throw new CalendarDataError(`calendar year ${year.year} is given twice`);
    }
    const days = new Map<LocalDate, { kind: DayKind; name: CalendarDay['name'] }>();
    for (const d of year.holidays) days.set(d.date, { kind: 'holiday', name: d.name });
    for (const d of year.makeupWorkdays) days.set(d.date, { kind: 'makeup-workday', name: d.name });
    byYear.set(year.year, days);
  }
  const years = [...byYear.keys()].sort((a, b) => a - b);
  const fallback = options.weekendsOnlyFallback;

  const dayInfo = (date: LocalDate): DayInfo => {
    const { year } = assertLocalDate(date);
    const weekday = weekdayOf(date);
    const weekend = weekday === 0 || weekday === 6;
    const days = byYear.get(year);
    if (!days) {
      if (!fallback) throw new CalendarRangeError(date, years);
      fallback.onFallback({ date, year });
      return { date, kind: weekend ? 'weekend' : 'workday', working: !weekend, fallback: true };
    }
    const special = days.get(date);
    if (special) {
      return {
        date,
        kind: special.kind,
        working: special.kind === 'makeup-workday',
        name: special.name,
      };
    }
    return { date, kind: weekend ? 'weekend' : 'workday', working: !weekend };
  };
  const isWorkingDay = (date: LocalDate): boolean => dayInfo(date).working;
  const localDateOf = (instant: Date): LocalDate =>
    zone.localDateOf(assertInstant(instant, 'instant'));

  return {
    timeZone,
    years,
    localDateOf,
    startOfDay: (date) => new Date(zone.startOfDay(date)),
    endOfDay: (date) => new Date(zone.startOfDay(addDays(date, 1))),
    dayInfo,
    isWorkingDay,
    addWorkingDays(start, n) {
      if (!Number.isSafeInteger(n) || n < 1) {
        throw new RangeError(`a time limit is a whole number of working days ≥ 1, got ${n}`);
      }
      let day = localDateOf(start);
      let counted = 0;
      while (counted < n) {
        day = addDays(day, 1);
        if (isWorkingDay(day)) counted += 1;
      }
      return new Date(zone.startOfDay(addDays(day, 1)));
    },
    workingDaysBetween(start, end) {
      const from = assertInstant(start, 'start');
      const to = assertInstant(end, 'end');
      if (to < from) throw new RangeError('end is before start');
      // endOfDay(X) ≤ end  ⇔  X + 1 ≤ localDate(end): count working days strictly between.
      const last = zone.localDateOf(to);
      let count = 0;
      for (let day = addDays(zone.localDateOf(from), 1); day < last; day = addDays(day, 1)) {
        if (isWorkingDay(day)) count += 1;
      }
      return count;
    },
  };
}
