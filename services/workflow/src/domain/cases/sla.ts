import { randomBytes } from 'node:crypto';
import { slaDue, type WorkingDayCalendar } from '@tongban/working-days';
import type { StoredPause } from '../../db/schema.js';

/**
 * A clock's due instant under the city's calendar: `workingDays` after `start` (the start day not
 * counted), moved on by every pause. Null while an open pause stops the clock before the due
 * instant; the caller keeps the last known one for display.
 */
export function dueOf(
  calendar: WorkingDayCalendar,
  start: Date,
  workingDays: number,
  pauses: readonly StoredPause[],
): Date | null {
  return slaDue(calendar, {
    start,
    workingDays,
    pauses: pauses.map((p) => ({
      from: new Date(p.from),
      to: p.to === null ? null : new Date(p.to),
    })),
  });
}

/** Opens a pause at `at` (the case now waits on the resident). */
export const openPause = (pauses: readonly StoredPause[], at: Date): StoredPause[] => [
  ...pauses,
  { from: at.toISOString(), to: null },
];

/**
 * Closes the open pause at `at` (the resident answered); other pauses stay as they were. A wait
 * that ends no later than it began (answered in the same instant, or on a replica whose clock is
 * behind) stopped no clock: it is dropped, not stored as an interval that ends before it begins.
 */
export const closePause = (pauses: readonly StoredPause[], at: Date): StoredPause[] =>
  pauses.flatMap((p) => {
    if (p.to !== null) return [p];
    return Date.parse(p.from) < at.getTime() ? [{ from: p.from, to: at.toISOString() }] : [];
  });

export const isPaused = (pauses: readonly StoredPause[]) => pauses.some((p) => p.to === null);

/**
 * An open task whose clock ran out by `now`. While a pause stops the clock the task keeps its
 * last deadline, and is late only if that deadline had passed before the pause began (slaDue's
 * rule: a clock that ran out stays run out). `ranOutBy` in db/queries/cases.ts is the same in SQL.
 */
export function ranOut(
  task: { status: string; dueAt: Date | null; pauses: readonly StoredPause[] },
  now: Date,
): boolean {
  if (task.status !== 'open' || task.dueAt === null) return false;
  const open = task.pauses.find((p) => p.to === null);
  return task.dueAt <= (open === undefined ? now : new Date(open.from));
}

// Crockford's base32 without I, L, O, U: nothing a reader can mistake when typing it from paper.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const TRACKING_CODE_PATTERN = '^[0-9A-HJKMNP-TV-Z]{20}$';

/** 20 characters of 5 bits each: 100 random bits, unguessable by anyone not holding the receipt. */
export function newTrackingCode(): string {
  const bytes = randomBytes(20);
  let code = '';
  for (const byte of bytes) code += ALPHABET[byte & 31];
  return code;
}

/** `TB2026-000123`: the prefix, the year of submission in the city's time zone, a yearly counter. */
export const formatCaseNumber = (prefix: string, year: number, counter: number) =>
  `${prefix}${year}-${String(counter).padStart(6, '0')}`;
