import { describe, expect, it } from 'vitest';
import { DUE_SOON_MS, queueView, slaState } from '../web/src/pages/department/model.js';

const NOW = Date.parse('2026-03-02T01:30:00.000Z');
const at = (offsetMs: number) => new Date(NOW + offsetMs).toISOString();
const open = { status: 'open' as const, overdue: false, paused: false };

describe('web/src/pages/department slaState()', () => {
  it('is on time with more than two days left, due soon within two days, overdue after', () => {
    expect(slaState({ ...open, dueAt: at(DUE_SOON_MS + 1) }, NOW)).toBe('on_time');
    expect(slaState({ ...open, dueAt: at(DUE_SOON_MS) }, NOW)).toBe('due_soon');
    expect(slaState({ ...open, dueAt: at(1) }, NOW)).toBe('due_soon');
    expect(slaState({ ...open, dueAt: at(0) }, NOW)).toBe('overdue');
    expect(slaState({ ...open, dueAt: at(-86_400_000) }, NOW)).toBe('overdue');
  });

  it("takes workflow's overdue flag over the deadline, and a stopped clock is not late", () => {
    expect(slaState({ ...open, overdue: true, dueAt: at(10 * DUE_SOON_MS) }, NOW)).toBe('overdue');
    expect(slaState({ ...open, paused: true, dueAt: at(-1) }, NOW)).toBe('paused');
    expect(
      slaState({ ...open, status: 'awaiting_information', dueAt: at(DUE_SOON_MS * 3) }, NOW),
    ).toBe('paused');
  });

  it('has no state for a step that is decided, cancelled or not reached', () => {
    for (const status of ['approved', 'rejected', 'cancelled', 'waiting'] as const) {
      expect(slaState({ ...open, status, dueAt: at(-1) }, NOW)).toBeUndefined();
    }
    expect(slaState({ ...open, dueAt: null }, NOW)).toBeUndefined();
  });
});

describe('web/src/pages/department queueView()', () => {
  it('reads a known view from the address and falls back to open', () => {
    expect(queueView('overdue')).toBe('overdue');
    expect(queueView('decided')).toBe('decided');
    expect(queueView(null)).toBe('open');
    expect(queueView('<b>')).toBe('open');
  });
});
