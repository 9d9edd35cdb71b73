import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CaseBody,
  type CaseWorld,
  RESTAURANT_FORM,
  type Resident,
  startCaseWorld,
} from './helpers/case-world.js';

// Acceptance 7: who may see and change what.
describe('case authorization', () => {
  let world: CaseWorld;
  let owner: Resident;
  let stranger: Resident;
  let restaurant: CaseBody;
  const marketTask = () => restaurant.tasks.find((t) => t.step === 'business_licence');
  const fireTask = () => restaurant.tasks.find((t) => t.step === 'fire_inspection');

  beforeAll(async () => {
    world = await startCaseWorld();
    owner = await world.resident();
    stranger = await world.resident();
    restaurant = await world.submit(owner, 'open_restaurant', RESTAURANT_FORM);
  });
  afterAll(() => world?.close());

  const get = async (url: string, headers: Record<string, string>) =>
    world.app.app.inject({ method: 'GET', url, headers });
  const as = (resident: Resident, method: string, url: string) => resident.headersFor(method, url);

  describe('department officers', () => {
    it('refuses an officer deciding another department’s task on a case they work (403)', async () => {
      const res = await world.decide(
        restaurant.id,
        marketTask()?.id as string,
        'fire_safety',
        { decision: 'approve', reason: '越权' },
        restaurant.etag,
      );
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe('forbidden');
    });

    it('answers 404 to an officer of a department with no task on the case, for every case route', async () => {
      const health = await world.officer('health');
      for (const url of [
        `/v1/cases/${restaurant.id}`,
        `/v1/cases/${restaurant.id}/events`,
        `/v1/cases/${restaurant.id}/receipt.svg`,
      ]) {
        const res = await get(url, health);
        expect(res.statusCode, url).toBe(404);
      }
      const decide = await world.decide(
        restaurant.id,
        fireTask()?.id as string,
        'health',
        { decision: 'approve', reason: '越权' },
        restaurant.etag,
      );
      expect(decide.statusCode).toBe(404);
      const grant = await world.app.app.inject({
        method: 'POST',
        url: `/v1/cases/${restaurant.id}/tasks/${fireTask()?.id}/case-grant`,
        headers: health,
      });
      expect(grant.statusCode).toBe(404);
    });

    it('keeps a department’s queue to its own staff', async () => {
      const own = await get(
        '/v1/departments/fire_safety/tasks',
        await world.officer('fire_safety'),
      );
      expect(own.statusCode).toBe(200);
      expect(own.json().items.map((i: { case: { id: string } }) => i.case.id)).toContain(
        restaurant.id,
      );
      const other = await get(
        '/v1/departments/fire_safety/tasks',
        await world.officer('market_regulation'),
      );
      expect(other.statusCode).toBe(403);
      const resident = await get(
        '/v1/departments/fire_safety/tasks',
        await as(owner, 'GET', '/v1/departments/fire_safety/tasks'),
      );
      expect(resident.statusCode).toBe(403);
    });

    it('does not show a case to a department before its step is reached', async () => {
      const newborn = await world.submit(owner, 'newborn_registration', newbornForm());
      const waiting = newborn.tasks.find((t) => t.status === 'waiting');
      expect(waiting).toBeDefined();
      const res = await get(
        `/v1/cases/${newborn.id}`,
        await world.officer(waiting?.department as string),
      );
      expect(res.statusCode).toBe(404);
    });
  });

  describe('residents', () => {
    it('answers 404 to another resident on every route of the case', async () => {
      for (const url of [
        `/v1/cases/${restaurant.id}`,
        `/v1/cases/${restaurant.id}/events`,
        `/v1/cases/${restaurant.id}/receipt.svg`,
        `/v1/cases/${restaurant.id}/receipt.png`,
      ]) {
        const res = await get(url, await as(stranger, 'GET', url));
        expect(res.statusCode, url).toBe(404);
      }
      for (const [url, payload] of [
        [`/v1/cases/${restaurant.id}/withdraw`, {}],
        [`/v1/cases/${restaurant.id}/information`, { message: '补充材料' }],
      ] as const) {
        const res = await world.app.app.inject({
          method: 'POST',
          url,
          headers: await as(stranger, 'POST', url),
          payload,
        });
        expect(res.statusCode, url).toBe(404);
      }
      const list = await get('/v1/cases', await as(stranger, 'GET', '/v1/cases'));
      expect(list.statusCode).toBe(200);
      expect(list.json().items).toEqual([]);
    });

    it('refuses a resident applying or listing for someone else', async () => {
      const apply = await world.app.app.inject({
        method: 'POST',
        url: '/v1/cases',
        headers: await as(stranger, 'POST', '/v1/cases'),
        payload: { service: 'open_restaurant', form: RESTAURANT_FORM, subjectId: owner.subject },
      });
      expect(apply.statusCode).toBe(403);
      const url = `/v1/cases?subjectId=${owner.subject}`;
      const list = await get(url, await as(stranger, 'GET', url));
      expect(list.statusCode).toBe(403);
    });

    it('lists the resident’s own cases, newest first, page by page', async () => {
      const mine = await world.resident();
      const a = await world.submit(mine, 'open_restaurant', RESTAURANT_FORM);
      world.clock.advance(1000);
      const b = await world.submit(mine, 'marriage_registration', marriageForm());
      const first = await get('/v1/cases?limit=1', await as(mine, 'GET', '/v1/cases'));
      expect(first.json().items.map((c: { id: string }) => c.id)).toEqual([b.id]);
      const next = `/v1/cases?limit=1&cursor=${first.json().nextCursor}`;
      const second = await get(next, await as(mine, 'GET', next));
      expect(second.json().items.map((c: { id: string }) => c.id)).toEqual([a.id]);
      expect(second.json().nextCursor).toBeNull();
    });

    it('refuses a resident token without its DPoP proof', async () => {
      const headers = await as(owner, 'GET', `/v1/cases/${restaurant.id}`);
      const res = await get(`/v1/cases/${restaurant.id}`, {
        authorization: headers.authorization as string,
      });
      expect(res.statusCode).toBe(401);
    });
  });

  describe('counter clerks', () => {
    it('cannot list a resident’s cases without a verification (403 verification_required)', async () => {
      const clerk = await world.clerk('public_security');
      const res = await get(`/v1/cases?subjectId=${owner.subject}`, clerk);
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe('verification_required');
    });

    it('cannot apply for a resident without a verification', async () => {
      const res = await world.app.app.inject({
        method: 'POST',
        url: '/v1/cases',
        headers: await world.clerk('public_security'),
        payload: { service: 'open_restaurant', form: RESTAURANT_FORM, subjectId: owner.subject },
      });
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe('verification_required');
    });
  });

  describe('tracking and receipts', () => {
    it('shows no name, ID number, subject, form data or reason on the public tracking page', async () => {
      const res = await get(`/v1/track/${restaurant.trackingCode}`, {});
      expect(res.statusCode).toBe(200);
      for (const value of [
        owner.subject,
        ...Object.values(RESTAURANT_FORM).map(String),
        '110101',
      ]) {
        expect(res.body).not.toContain(value);
      }
      expect(Object.keys(res.json()).sort()).toEqual(
        ['completedAt', 'dueAt', 'number', 'service', 'stages', 'status', 'submittedAt'].sort(),
      );
    });

    it('answers 404 to an unknown tracking code and 400 to a malformed one', async () => {
      expect((await get('/v1/track/0123456789ABCDEFGHJK', {})).statusCode).toBe(404);
      expect((await get('/v1/track/not-a-code', {})).statusCode).toBe(400);
    });

    it('prints a receipt whose QR opens the tracking page and that names nobody', async () => {
      const svgUrl = `/v1/cases/${restaurant.id}/receipt.svg`;
      const svg = await get(svgUrl, await as(owner, 'GET', svgUrl));
      expect(svg.statusCode).toBe(200);
      expect(svg.headers['content-type']).toContain('image/svg+xml');
      expect(svg.body).toContain(restaurant.number);
      expect(svg.body).toContain('开餐馆一件事');
      expect(svg.body).not.toContain(RESTAURANT_FORM.legalRepresentative);

      const pngUrl = `/v1/cases/${restaurant.id}/receipt.png`;
      const png = await get(pngUrl, await as(owner, 'GET', pngUrl));
      expect(png.statusCode).toBe(200);
      expect(png.headers['content-type']).toBe('image/png');
      const image = PNG.sync.read(png.rawPayload);
      // jsqr is CommonJS whose types describe an ES default export.
      const code = jsQR.default(new Uint8ClampedArray(image.data), image.width, image.height);
      expect(code?.data).toBe(`http://127.0.0.1:3000/track/${restaurant.trackingCode}`);
    });
  });
});

function newbornForm() {
  return {
    childName: '张小宝',
    childSex: 'male',
    birthDate: '2026-02-20',
    birthCertificateNumber: 'Q123456789',
    householdOf: 'father',
  };
}

function marriageForm() {
  return { partnerSubject: 'PartnerSubject01', appointmentDate: '2026-05-20' };
}
