import type { WorkingDayCalendar } from './calendar.js';
import { addDays, assertInstant } from './dates.js';

/** One working day of SLA time, in the clock's unit (working milliseconds). */
export const WORKING_DAY_MS = 86_400_000;

/** The case waited on someone outside the office (e.g. the resident's missing information). */
export interface PauseInterval {
  from: Date;
  /** When the wait ended; absent or null while it has not. */
  to?: Date | null;
}

export interface SlaInput {
  /** When the step was accepted; its own day is not counted. */
  start: Date;
  /** The time limit in working days (an integer ≥ 1). */
  workingDays: number;
  pauses?: readonly PauseInterval[];
}

export interface SlaStatus {
  /** The due instant as known at `now`; null while an open pause stops the clock short of it. */
  due: Date | null;
  /** A pause covers `now`. */
  paused: boolean;
  /** `now` is at or after `due`. */
  overdue: boolean;
  /** Unpaused working time between the end of the start day and `now`. */
  elapsedWorkingMs: number;
  /** Working time left before `due` (0 once overdue). */
  remainingWorkingMs: number;
}

interface Span {
  from: number;
  to: number; // Infinity for an open pause
}

function normalizePauses(pauses: readonly PauseInterval[], now?: number): Span[] {
  const spans: Span[] = [];
  pauses.forEach((pause, index) => {
    const from = assertInstant(pause.from, `pauses[${index}].from`);
    let to =
      pause.to == null ? Number.POSITIVE_INFINITY : assertInstant(pause.to, `pauses[${index}].to`);
    if (to <= from) throw new RangeError(`pauses[${index}] ends before it begins`);
    if (now !== undefined) {
      if (from > now) return; // not known yet at `now`
      if (to > now) to = Number.POSITIVE_INFINITY; // still open at `now`
    }
    spans.push({ from, to });
  });
  spans.sort((a, b) => a.from - b.from);
  const merged: Span[] = [];
  for (const span of spans) {
    const last = merged.at(-1);
    if (last && span.from <= last.to) last.to = Math.max(last.to, span.to);
    else merged.push({ ...span });
  }
  return merged;
}

/** [from, to) minus the pauses, in order. */
function unpaused(from: number, to: number, pauses: readonly Span[]): Span[] {
  const out: Span[] = [];
  let cursor = from;
  for (const p of pauses) {
    if (p.to <= cursor) continue;
    if (p.from >= to) break;
    if (p.from > cursor) out.push({ from: cursor, to: p.from });
    cursor = Math.max(cursor, p.to);
    if (cursor >= to) break;
  }
  if (cursor < to) out.push({ from: cursor, to });
  return out;
}

/** Real milliseconds of a day of `length` ms, as working ms (a 23 h or 25 h DST day is one day). */
function scale(ms: number, length: number): number {
  return length === WORKING_DAY_MS ? ms : Math.round((ms * WORKING_DAY_MS) / length);
}

function budgetOf(workingDays: number): number {
  if (!Number.isSafeInteger(workingDays) || workingDays < 1) {
    throw new RangeError(`a time limit is a whole number of working days ≥ 1, got ${workingDays}`);
  }
  return workingDays * WORKING_DAY_MS;
}

function dueOf(
  calendar: WorkingDayCalendar,
  start: Date,
  budget: number,
  pauses: Span[],
): Date | null {
  const open = pauses.find((p) => p.to === Number.POSITIVE_INFINITY);
  let left = budget;
  let day = calendar.localDateOf(start);
  for (;;) {
    day = addDays(day, 1);
    if (!calendar.isWorkingDay(day)) continue;
    const dayStart = calendar.startOfDay(day).getTime();
    const dayEnd = calendar.endOfDay(day).getTime();
    if (open && open.from <= dayStart) return null; // the clock is stopped from here on
    const length = dayEnd - dayStart;
    for (const seg of unpaused(dayStart, dayEnd, pauses)) {
      const units = scale(seg.to - seg.from, length);
      if (left === units) return new Date(seg.to);
      if (left < units) {
        return new Date(
          seg.from +
            (length === WORKING_DAY_MS ? left : Math.round((left * length) / WORKING_DAY_MS)),
        );
      }
      left -= units;
    }
  }
}

/**
 * The due instant of a step accepted at `start` with a limit of `workingDays` working days, where
 * working time inside a pause does not count: the deadline moves out by the paused working time.
 * Without pauses it equals `calendar.addWorkingDays(start, workingDays)`. Returns null when an
 * open pause (no `to`) stops the clock before the limit is used up.
 */
export function slaDue(calendar: WorkingDayCalendar, input: SlaInput): Date | null {
  assertInstant(input.start, 'start');
  return dueOf(
    calendar,
    input.start,
    budgetOf(input.workingDays),
    normalizePauses(input.pauses ?? []),
  );
}

/**
 * The clock as known at `now` (injected; never read from the system clock): pauses that begin
 * after `now` are ignored and pauses that end after `now` are still open.
 */
export function slaStatus(calendar: WorkingDayCalendar, input: SlaInput, now: Date): SlaStatus {
  const startMs = assertInstant(input.start, 'start');
  const nowMs = assertInstant(now, 'now');
  if (nowMs < startMs) throw new RangeError('now is before the start of the clock');
  const budget = budgetOf(input.workingDays);
  const pauses = normalizePauses(input.pauses ?? [], nowMs);
  const due = dueOf(calendar, input.start, budget, pauses);

  let elapsed = 0;
  const today = calendar.localDateOf(now);
  for (
    let day = addDays(calendar.localDateOf(input.start), 1);
    day <= today;
    day = addDays(day, 1)
  ) {
    if (!calendar.isWorkingDay(day)) continue;
    const dayStart = calendar.startOfDay(day).getTime();
    const dayEnd = calendar.endOfDay(day).getTime();
    for (const seg of unpaused(dayStart, Math.min(dayEnd, nowMs), pauses)) {
      elapsed += scale(seg.to - seg.from, dayEnd - dayStart);
    }
  }
  const paused = pauses.some((p) => p.from <= nowMs && nowMs < p.to);
  return {
    due,
    paused,
    overdue: due !== null && nowMs >= due.getTime(),
    elapsedWorkingMs: elapsed,
    remainingWorkingMs: Math.max(0, budget - elapsed),
  };
}
