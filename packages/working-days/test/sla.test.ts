import { describe, expect, it } from 'vitest';
import { slaDue, slaStatus, WORKING_DAY_MS } from '../src/index.js';
import { at, calendar } from './helpers.js';

const cal = calendar();
const DAY = WORKING_DAY_MS;

// A five-working-day step accepted Mon 2026-03-02; the office asks the resident for a missing
// document on Wed 03-04 at 12:00 and receives it Mon 03-09 at 12:00.
const start = at('2026-03-02T09:00:00+08:00');
const asked = at('2026-03-04T12:00:00+08:00');
const answered = at('2026-03-09T12:00:00+08:00');

describe('SLA clock with pauses', () => {
  it('without pauses, is due when addWorkingDays says', () => {
    expect(slaDue(cal, { start, workingDays: 5 })?.toISOString()).toBe(
      cal.addWorkingDays(start, 5).toISOString(),
    );
    expect(slaDue(cal, { start, workingDays: 5 })?.toISOString()).toBe(
      at('2026-03-10T00:00:00+08:00').toISOString(),
    );
  });

  it('moves the deadline out by the paused working time (3 working days here)', () => {
    // Paused: half of Wed, Thu, Fri, (weekend does not count), half of Mon = 3 working days.
    const due = slaDue(cal, { start, workingDays: 5, pauses: [{ from: asked, to: answered }] });
    expect(due?.toISOString()).toBe(at('2026-03-13T00:00:00+08:00').toISOString());
  });

  it('stops while waiting on the resident, and resumes', () => {
    const input = { start, workingDays: 5, pauses: [{ from: asked }] };
    const waiting = slaStatus(cal, input, at('2026-03-06T10:00:00+08:00'));
    expect(waiting).toEqual({
      due: null,
      paused: true,
      overdue: false,
      elapsedWorkingMs: 1.5 * DAY,
      remainingWorkingMs: 3.5 * DAY,
    });
    // A week later, still waiting: nothing more has elapsed.
    expect(slaStatus(cal, input, at('2026-03-13T10:00:00+08:00')).elapsedWorkingMs).toBe(1.5 * DAY);

    const resumed = { start, workingDays: 5, pauses: [{ from: asked, to: answered }] };
    expect(slaStatus(cal, resumed, at('2026-03-09T18:00:00+08:00'))).toEqual({
      due: at('2026-03-13T00:00:00+08:00'),
      paused: false,
      overdue: false,
      elapsedWorkingMs: 1.75 * DAY,
      remainingWorkingMs: 3.25 * DAY,
    });
  });

  it('takes the world as known at now: a pause that ends later is still open', () => {
    const input = { start, workingDays: 5, pauses: [{ from: asked, to: answered }] };
    const status = slaStatus(cal, input, at('2026-03-05T09:00:00+08:00'));
    expect(status.paused).toBe(true);
    expect(status.due).toBeNull();
    // And a pause that begins after now is not yet known.
    const before = slaStatus(cal, input, at('2026-03-03T12:00:00+08:00'));
    expect(before).toMatchObject({ paused: false, elapsedWorkingMs: 0.5 * DAY });
    expect(before.due?.toISOString()).toBe(at('2026-03-10T00:00:00+08:00').toISOString());
  });

  it('is overdue from the due instant on, and a late pause does not excuse it', () => {
    const resumed = { start, workingDays: 5, pauses: [{ from: asked, to: answered }] };
    expect(slaStatus(cal, resumed, at('2026-03-12T23:59:59+08:00')).overdue).toBe(false);
    const late = slaStatus(cal, resumed, at('2026-03-13T00:00:00+08:00'));
    expect(late).toMatchObject({ overdue: true, remainingWorkingMs: 0, elapsedWorkingMs: 5 * DAY });

    // Due Wed 03-04 24:00; the office only asks on Thu: already overdue, and the due stays known.
    const oneDay = { start, workingDays: 2, pauses: [{ from: at('2026-03-05T10:00:00+08:00') }] };
    const status = slaStatus(cal, oneDay, at('2026-03-06T10:00:00+08:00'));
    expect(status).toMatchObject({ overdue: true, paused: true, remainingWorkingMs: 0 });
    expect(status.due?.toISOString()).toBe(at('2026-03-05T00:00:00+08:00').toISOString());
  });

  it('counts a pause over a holiday for nothing', () => {
    // Waiting through the whole Spring Festival break costs no working time.
    const s = at('2026-02-13T10:00:00+08:00');
    const pauses = [{ from: at('2026-02-15T00:00:00+08:00'), to: at('2026-02-24T00:00:00+08:00') }];
    expect(slaDue(cal, { start: s, workingDays: 2, pauses })?.toISOString()).toBe(
      cal.addWorkingDays(s, 2).toISOString(),
    );
  });

  it('merges overlapping pauses and refuses malformed ones', () => {
    const pauses = [
      { from: asked, to: at('2026-03-06T00:00:00+08:00') },
      { from: at('2026-03-05T00:00:00+08:00'), to: answered },
    ];
    expect(slaDue(cal, { start, workingDays: 5, pauses })?.toISOString()).toBe(
      at('2026-03-13T00:00:00+08:00').toISOString(),
    );
    expect(() =>
      slaDue(cal, { start, workingDays: 5, pauses: [{ from: answered, to: asked }] }),
    ).toThrow(RangeError);
    expect(() =>
      slaStatus(cal, { start, workingDays: 5 }, at('2026-03-01T00:00:00+08:00')),
    ).toThrow(/before the start/);
    expect(() => slaDue(cal, { start, workingDays: 0 })).toThrow(RangeError);
  });
});
