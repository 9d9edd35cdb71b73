import { createCalendar, loadCalendarDirectory, type WorkingDayCalendar } from '../src/index.js';

export const CN_YEARS = loadCalendarDirectory();

export function calendar(timeZone = 'Asia/Shanghai'): WorkingDayCalendar {
  return createCalendar({ timeZone, years: CN_YEARS });
}

/** An instant written with its offset, e.g. at('2026-02-13T10:00:00+08:00'). */
export function at(iso: string): Date {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) throw new Error(`bad test instant ${iso}`);
  return d;
}
