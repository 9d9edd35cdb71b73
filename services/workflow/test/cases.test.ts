import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CaseWorld, RESTAURANT_FORM, startCaseWorld } from './helpers/case-world.js';

// Acceptance 1: the restaurant service end to end over HTTP, in every order of approvals.
describe('POST /v1/cases and decisions: opening a restaurant', () => {
  let world: CaseWorld;
  beforeAll(async () => {
    world = await startCaseWorld();
  });
  afterAll(() => world?.close());

  const PARALLEL = ['business_licence', 'fire_inspection', 'food_permit'] as const;
  const DEPARTMENT: Record<string, string> = {
    business_licence: 'market_regulation',
    fire_inspection: 'fire_safety',
    food_permit: 'market_regulation',
    final_issuance: 'market_regulation',
  };

  const orders = [
    ['business_licence', 'fire_inspection', 'food_permit'],
    ['food_permit', 'business_licence', 'fire_inspection'],
    ['fire_inspection', 'food_permit', 'business_licence'],
  ];

  for (const order of orders) {
    it(`opens the final step exactly once after approvals in the order ${order.join(' → ')}`, async () => {
      const resident = await world.resident();
      const submitted = await world.submit(resident, 'open_restaurant', RESTAURANT_FORM);
      expect(submitted.number).toMatch(/^TB2026-\d{6}$/);
      expect(submitted.trackingCode).toMatch(/^[0-9A-HJKMNP-TV-Z]{20}$/);
      expect(submitted.status).toBe('in_progress');
      const statuses = Object.fromEntries(submitted.tasks.map((t) => [t.step, t.status]));
      expect(statuses).toEqual({
        business_licence: 'open',
        fire_inspection: 'open',
        food_permit: 'open',
        final_issuance: 'waiting',
      });

      let etag = submitted.etag;
      for (const [i, step] of order.entries()) {
        const task = submitted.tasks.find((t) => t.step === step);
        const department = DEPARTMENT[step] as string;
        const res = await world.decide(
          submitted.id,
          task?.id as string,
          department,
          { decision: 'approve', reason: `${step} 审核通过` },
          etag,
        );
        expect(res.statusCode, res.body).toBe(200);
        etag = String(res.headers.etag);
        const body = res.json() as { tasks: { step: string; status: string }[]; status: string };
        const final = body.tasks.find((t) => t.step === 'final_issuance');
        expect(final?.status).toBe(i === order.length - 1 ? 'open' : 'waiting');
        expect(body.status).toBe('in_progress');
      }

      const afterJoin = await world.read(submitted.id, await world.officer('market_regulation'));
      const final = afterJoin.tasks.find((t) => t.step === 'final_issuance');
      const done = await world.decide(
        submitted.id,
        final?.id as string,
        'market_regulation',
        { decision: 'approve', reason: '证照齐全，统一发证' },
        afterJoin.etag,
      );
      expect(done.statusCode, done.body).toBe(200);
      expect(done.json().status).toBe('approved');

      // The timeline: one task.opened per step (the final one exactly once), four decisions, done.
      const events = await world.app.app.inject({
        method: 'GET',
        url: `/v1/cases/${submitted.id}/events`,
        headers: await resident.headersFor('GET', `/v1/cases/${submitted.id}/events`),
      });
      expect(events.statusCode, events.body).toBe(200);
      const items = events.json().items as {
        type: string;
        step: string | null;
        summary: { zh: string; en: string };
      }[];
      const opened = items.filter((e) => e.type === 'task.opened').map((e) => e.step);
      expect(opened.sort()).toEqual([...PARALLEL, 'final_issuance'].sort());
      expect(items.filter((e) => e.type === 'task.decided')).toHaveLength(4);
      expect(items[0]?.type).toBe('case.submitted');
      expect(items.at(-1)?.type).toBe('case.completed');
      expect(items.at(-1)?.summary.en).toBe('Completed: approved');

      // The public tracking page shows each stage, and nothing personal.
      const track = await world.app.app.inject({
        method: 'GET',
        url: `/v1/track/${submitted.trackingCode}`,
      });
      expect(track.statusCode, track.body).toBe(200);
      const tracking = track.json();
      expect(tracking.number).toBe(submitted.number);
      expect(tracking.status).toBe('approved');
      expect(tracking.stages.map((s: { status: string }) => s.status)).toEqual([
        'approved',
        'approved',
        'approved',
        'approved',
      ]);
      for (const secret of [
        resident.subject,
        RESTAURANT_FORM.legalRepresentative,
        RESTAURANT_FORM.businessName,
        '审核通过',
      ]) {
        expect(track.body).not.toContain(secret);
      }
    });
  }

  it('lists a department’s decided tasks newest decision first, page by page', async () => {
    const officer = await world.officer('fire_safety');
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/v1/departments/fire_safety/tasks?view=decided&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await world.app.app.inject({ method: 'GET', url, headers: officer });
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json() as {
        items: { id: string; decidedAt: string; status: string }[];
        nextCursor: string | null;
      };
      for (const item of body.items) expect(item.status).toBe('approved');
      seen.push(...body.items.map((i) => i.decidedAt));
      cursor = body.nextCursor;
    } while (cursor !== null);
    // One fire inspection was approved per restaurant case above.
    expect(seen).toHaveLength(orders.length);
    expect([...seen].sort().reverse()).toEqual(seen);
  });
});
