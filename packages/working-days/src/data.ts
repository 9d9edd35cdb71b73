import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LocalDate, parseLocalDate, weekdayOf } from './dates.js';
import { CalendarDataError } from './errors.js';

export interface DayName {
  zh: string;
  en: string;
}

export interface CalendarDay {
  date: LocalDate;
  name: DayName;
}

/**
 * One year of a holiday calendar, as published (for China: the State Council's notice on the
 * next year's public holidays). `holidays` lists every day off, one entry per day, including days
 * off that fall on a weekend; `makeupWorkdays` lists the weekend days that are working days.
 */
export interface CalendarYear {
  year: number;
  country: string;
  source: { title: string; issued: LocalDate; publishedBy?: string; url?: string };
  holidays: readonly CalendarDay[];
  makeupWorkdays: readonly CalendarDay[];
}

const TOP_KEYS = new Set(['year', 'country', 'source', 'holidays', 'makeupWorkdays']);
const SOURCE_KEYS = new Set(['title', 'issued', 'publishedBy', 'url']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim().length > 0;
}

/**
 * Validates calendar data and returns it typed, or throws a CalendarDataError listing every
 * problem found (`origin` names the file in the message). Checks: known keys only; `year` an
 * integer; every date real and inside `year`; names in Chinese and English; no date listed twice;
 * no date both a holiday and a make-up working day; make-up working days fall on a Saturday or
 * Sunday (a make-up working day on a weekday is a typo).
 */
export function parseCalendarYear(data: unknown, origin = 'calendar data'): CalendarYear {
  const problems: string[] = [];
  if (!isRecord(data)) throw new CalendarDataError(`${origin}: expected a JSON object`);
  for (const key of Object.keys(data)) {
    if (!TOP_KEYS.has(key)) problems.push(`unknown key "${key}"`);
  }
  const year = data.year;
  if (typeof year !== 'number' || !Number.isInteger(year) || year < 1000 || year > 9999) {
    problems.push('"year" must be a four-digit integer');
  }
  if (!nonEmptyString(data.country)) problems.push('"country" must be a non-empty string');
  const source = data.source;
  if (!isRecord(source)) {
    problems.push('"source" must be an object with "title" and "issued"');
  } else {
    for (const key of Object.keys(source)) {
      if (!SOURCE_KEYS.has(key)) problems.push(`unknown key "source.${key}"`);
    }
    if (!nonEmptyString(source.title)) problems.push('"source.title" must be a non-empty string');
    if (typeof source.issued !== 'string' || !parseLocalDate(source.issued)) {
      problems.push('"source.issued" must be a date YYYY-MM-DD');
    }
    for (const key of ['publishedBy', 'url'] as const) {
      if (source[key] !== undefined && !nonEmptyString(source[key])) {
        problems.push(`"source.${key}" must be a non-empty string when present`);
      }
    }
  }

  const seen = new Map<string, string>();
  const readDays = (key: 'holidays' | 'makeupWorkdays'): CalendarDay[] => {
    const list = data[key];
    if (!Array.isArray(list)) {
      problems.push(`"${key}" must be an array`);
      return [];
    }
    const days: CalendarDay[] = [];
    list.forEach((entry: unknown, index) => {
      const at = `${key}[${index}]`;
      if (!isRecord(entry)) {
        problems.push(`${at} must be an object { date, name: { zh, en } }`);
        return;
      }
      for (const k of Object.keys(entry)) {
        if (k !== 'date' && k !== 'name') problems.push(`${at}: unknown key "${k}"`);
      }
      const { date, name } = entry;
      const parts = typeof date === 'string' ? parseLocalDate(date) : undefined;
      if (typeof date !== 'string' || !parts) {
        problems.push(`${at}: "date" ${JSON.stringify(date)} is not a real date YYYY-MM-DD`);
        return;
      }
      if (typeof year === 'number' && parts.year !== year) {
        problems.push(`${at}: ${date} is not in ${year}`);
      }
      if (!isRecord(name) || !nonEmptyString(name.zh) || !nonEmptyString(name.en)) {
        problems.push(`${at}: "name" must have non-empty "zh" and "en"`);
        return;
      }
      const earlier = seen.get(date);
      if (earlier !== undefined) {
        problems.push(
          earlier === key
            ? `${at}: ${date} is listed twice in "${key}"`
            : `${at}: ${date} is both a holiday and a make-up working day`,
        );
      }
      seen.set(date, key);
      if (key === 'makeupWorkdays') {
        const weekday = weekdayOf(date);
        if (weekday !== 0 && weekday !== 6) {
          problems.push(
            `${at}: ${date} is a weekday; a make-up working day is a Saturday or Sunday`,
          );
        }
      }
      days.push({ date, name: { zh: name.zh, en: name.en } });
    });
    return days;
  };
  const holidays = readDays('holidays');
  const makeupWorkdays = readDays('makeupWorkdays');

  if (problems.length > 0) {
    throw new CalendarDataError(`${origin}: invalid calendar data:\n  ${problems.join('\n  ')}`);
  }
  const src = source as Record<string, unknown>;
  return {
    year: year as number,
    country: data.country as string,
    source: {
      title: src.title as string,
      issued: src.issued as string,
      ...(src.publishedBy === undefined ? {} : { publishedBy: src.publishedBy as string }),
      ...(src.url === undefined ? {} : { url: src.url as string }),
    },
    holidays,
    makeupWorkdays,
  };
}

/** Reads and validates one calendar file (an operator-supplied path for coming years). */
export function loadCalendarYear(path: string | URL): CalendarYear {
  const file = typeof path === 'string' ? path : fileURLToPath(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CalendarDataError(`${file}: cannot read calendar file`, { cause: error });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new CalendarDataError(`${file}: not valid JSON`, { cause: error });
  }
  return parseCalendarYear(data, file);
}

/**
 * The directory of calendars shipped with this package (`calendars/cn-<year>.json`). Found through
 * the package's manifest, not this file's location: bundled into a service, import.meta.url is
 * the bundle's, while the package (a dependency of the service) still resolves by name.
 */
export function shippedCalendars(): string {
  const manifest = createRequire(import.meta.url).resolve('@tongban/working-days/package.json');
  return join(dirname(manifest), 'calendars');
}

/** Every `cn-<year>.json` in a directory (default: the shipped ones), validated, by year. */
export function loadCalendarDirectory(dir: string | URL = shippedCalendars()): CalendarYear[] {
  const path = typeof dir === 'string' ? dir : fileURLToPath(dir);
  return readdirSync(path)
    .filter((name) => /^cn-\d{4}\.json$/.test(name))
    .sort()
    .map((name) => {
      const year = loadCalendarYear(`${path.replace(/\/$/, '')}/${name}`);
      if (`cn-${year.year}.json` !== name) {
        throw new CalendarDataError(`${path}/${name}: file name does not match year ${year.year}`);
      }
      return year;
    });
}
