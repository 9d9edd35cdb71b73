import type { Locale } from './i18n.js';

/** The city's time zone: every date on the pages is the city's, wherever the reader is. */
export const CITY_TIME_ZONE = 'Asia/Shanghai';

/** An instant as a date and minute in the city, e.g. 2026年3月2日 09:30 / 2 Mar 2026, 09:30. */
export function dateTime(iso: string, locale: Locale): string {
  return new Intl.DateTimeFormat(locale, {
    timeZone: CITY_TIME_ZONE,
    dateStyle: 'medium',
    timeStyle: 'short',
    hourCycle: 'h23',
  }).format(new Date(iso));
}

/**
 * A deadline as the last day allowed. Workflow's deadlines are 24:00 city time of that day (the
 * instant the next day starts), so the day shown is the one the millisecond before falls on.
 */
export function lastDay(iso: string, locale: Locale): string {
  return new Intl.DateTimeFormat(locale, {
    timeZone: CITY_TIME_ZONE,
    dateStyle: 'medium',
  }).format(new Date(new Date(iso).getTime() - 1));
}
