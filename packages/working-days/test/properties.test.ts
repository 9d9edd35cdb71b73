import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { slaDue, slaStatus, WORKING_DAY_MS } from '../src/index.js';
import { calendar } from './helpers.js';

// Starts anywhere from 2026-01-01 to mid-October, limits up to 40 working days: every deadline
// stays inside 2026, the year the shipped data covers.
const FIRST = Date.parse('2025-12-31T16:00:00Z');
const LAST = Date.parse('2026-10-15T00:00:00Z');
const instant = fc.integer({ min: FIRST, max: LAST }).map((ms) => new Date(ms));
const limit = fc.integer({ min: 1, max: 40 });

for (const timeZone of ['Asia/Shanghai', 'Europe/Berlin']) {
  describe(`addWorkingDays properties in ${timeZone}`, () => {
    const cal = calendar(timeZone);

    it('workingDaysBetween(start, addWorkingDays(start, n)) === n', () => {
      fc.assert(
        fc.property(instant, limit, (start, n) => {
          expect(cal.workingDaysBetween(start, cal.addWorkingDays(start, n))).toBe(n);
        }),
      );
    });

    it('a deadline is the end (local midnight) of a working day', () => {
      fc.assert(
        fc.property(instant, limit, (start, n) => {
          const due = cal.addWorkingDays(start, n);
          const lastDay = cal.localDateOf(new Date(due.getTime() - 1));
          expect(cal.isWorkingDay(lastDay)).toBe(true);
          expect(cal.endOfDay(lastDay).getTime()).toBe(due.getTime());
          expect(lastDay > cal.localDateOf(start)).toBe(true);
        }),
      );
    });

    it('is strictly increasing in n and non-decreasing in start', () => {
      fc.assert(
        fc.property(instant, instant, limit, (a, b, n) => {
          const [early, late] = a <= b ? [a, b] : [b, a];
          expect(cal.addWorkingDays(early, n) < cal.addWorkingDays(early, n + 1)).toBe(true);
          expect(cal.addWorkingDays(early, n) <= cal.addWorkingDays(late, n)).toBe(true);
        }),
      );
    });
  });
}

describe('SLA clock properties (Asia/Shanghai)', () => {
  const cal = calendar();
  const pause = fc
    .tuple(
      fc.integer({ min: 0, max: 20 * WORKING_DAY_MS }),
      fc.integer({ min: 1, max: 5 * WORKING_DAY_MS }),
    )
    .map(([offset, length]) => ({ offset, length }));

  it('without pauses agrees with addWorkingDays', () => {
    fc.assert(
      fc.property(instant, limit, (start, n) => {
        expect(slaDue(cal, { start, workingDays: n })?.getTime()).toBe(
          cal.addWorkingDays(start, n).getTime(),
        );
      }),
    );
  });

  it('pauses never bring the deadline forward, and at the deadline exactly the limit has elapsed', () => {
    fc.assert(
      fc.property(
        instant,
        fc.integer({ min: 1, max: 20 }),
        fc.array(pause, { maxLength: 3 }),
        (start, n, ps) => {
          const pauses = ps.map(({ offset, length }) => ({
            from: new Date(start.getTime() + offset),
            to: new Date(start.getTime() + offset + length),
          }));
          const due = slaDue(cal, { start, workingDays: n, pauses });
          expect(due).not.toBeNull();
          if (!due) return;
          expect(due >= cal.addWorkingDays(start, n)).toBe(true);
          const status = slaStatus(cal, { start, workingDays: n, pauses }, due);
          expect(status.elapsedWorkingMs).toBe(n * WORKING_DAY_MS);
          expect(status.overdue).toBe(true);
          const before = slaStatus(
            cal,
            { start, workingDays: n, pauses },
            new Date(due.getTime() - 1),
          );
          expect(before.overdue).toBe(false);
          expect(before.remainingWorkingMs).toBeGreaterThan(0);
        },
      ),
    );
  });
});
