/**
 * The demo phone's `tongban-phone cases`, `withdraw` and `answer` against this service: the part
 * after sign-in (the resident's DPoP-bound token and device key) runs as the phone runs it, over
 * workflow's routes. It lives here because a package never imports a service (biome:
 * noRestrictedImports); the CLI itself runs against `npm start` in test/system/readme-walk.test.ts.
 */
import { injectFetch } from '@tongban/clients/testing';
import {
  answerMyCase,
  formatCases,
  listMyCases,
  PhoneError,
  type ProofKey,
  type WorkflowSession,
  withdrawMyCase,
} from '@tongban/phone';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUBLIC_URL } from './helpers/app.js';
import { type CaseWorld, RESTAURANT_FORM, startCaseWorld } from './helpers/case-world.js';

const MARRIAGE_FORM = { partnerSubject: 'PartnerSubject01', appointmentDate: '2026-05-20' };
const DAY = 86_400_000;

describe('tongban-phone cases, withdraw and answer (the phone follows the resident’s cases)', () => {
  let world: CaseWorld;
  beforeAll(async () => {
    world = await startCaseWorld();
  });
  afterAll(() => world?.close());

  /** A resident's phone after sign-in: its device key and a token bound to it, on the test clock. */
  async function phoneOf(subject: string, workflowUrl = PUBLIC_URL) {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const publicJwk = await exportJWK(publicKey);
    const key: ProofKey = { alg: 'ES256', privateKey, publicJwk };
    const accessToken = await world.issuer.resident(subject, {
      jkt: await calculateJwkThumbprint(publicJwk),
    });
    const session: WorkflowSession = {
      workflowUrl,
      key,
      accessToken,
      authorization: `DPoP ${accessToken}`,
    };
    const io = {
      fetch: injectFetch(world.app.app),
      writeFile: async () => {},
      fileExists: async () => false,
      now: world.clock.now,
    };
    return {
      list: () => listMyCases(session, io),
      withdraw: (caseId: string, reason?: string) =>
        withdrawMyCase(session, { caseId, ...(reason === undefined ? {} : { reason }) }, io),
      answer: (caseId: string, message: string) => answerMyCase(session, { caseId, message }, io),
    };
  }

  it('lists each case with its steps and due dates, then its timeline in plain language', async () => {
    world.clock.set('2026-03-02T01:00:00Z'); // Monday 09:00 in Shanghai
    const resident = await world.resident();
    const submitted = await world.submit(resident, 'open_restaurant', RESTAURANT_FORM);
    world.clock.advance(5 * 60_000);
    const licence = submitted.tasks.find((t) => t.step === 'business_licence');
    const approved = await world.decide(
      submitted.id,
      licence?.id as string,
      'market_regulation',
      { decision: 'approve', reason: '名称核准，材料齐全' },
      submitted.etag,
    );
    expect(approved.statusCode, approved.body).toBe(200);

    const phone = await phoneOf(resident.subject);
    const reports = await phone.list();
    expect(reports).toHaveLength(1);
    expect(reports[0]?.case).toMatchObject({ id: submitted.id, status: 'in_progress' });
    expect(reports[0]?.timeline?.map((e) => e.type)).toEqual([
      'case.submitted',
      'task.opened',
      'task.opened',
      'task.opened',
      'task.decided',
    ]);

    // Three working days from Monday: due at 24:00 on Thursday 5 March; ten: Monday 16 March.
    expect(formatCases(reports)).toEqual([
      'times are Asia/Shanghai',
      '',
      `${submitted.number}  开餐馆一件事 Opening a restaurant`,
      '  办理中 in progress, due by 2026-03-18',
      `  submitted 2026-03-02 09:00 by you; tracking code ${submitted.trackingCode}; case id ${submitted.id}`,
      '  steps:',
      '    营业执照登记 Business licence registration [market_regulation]: 已通过 approved 2026-03-02 09:05',
      '    公众聚集场所消防安全检查 Fire-safety inspection of the premises [fire_safety]: 办理中 in progress, due 2026-03-16',
      '    食品经营许可审查 Food business permit review [market_regulation]: 办理中 in progress, due 2026-03-16',
      '    统一发证 Issuance of all documents [market_regulation]: 未开始 not started',
      '  timeline:',
      '    2026-03-02 09:00  申请已提交 / Application submitted',
      '    2026-03-02 09:00  营业执照登记：开始办理 / Business licence registration: started',
      '    2026-03-02 09:00  公众聚集场所消防安全检查：开始办理 / Fire-safety inspection of the premises: started',
      '    2026-03-02 09:00  食品经营许可审查：开始办理 / Food business permit review: started',
      '    2026-03-02 09:05  营业执照登记：已通过 / Business licence registration: approved — 名称核准，材料齐全',
    ]);
  });

  it('says when the case waits on the resident, and the answer restarts the clocks', async () => {
    world.clock.set('2026-03-02T01:00:00Z');
    const resident = await world.resident();
    const submitted = await world.submit(resident, 'open_restaurant', RESTAURANT_FORM);
    const fire = submitted.tasks.find((t) => t.step === 'fire_inspection');
    const asked = await world.decide(
      submitted.id,
      fire?.id as string,
      'fire_safety',
      { decision: 'request_information', reason: '请补充消防平面图' },
      submitted.etag,
    );
    expect(asked.statusCode, asked.body).toBe(200);

    const phone = await phoneOf(resident.subject);
    const waiting = formatCases(await phone.list());
    expect(waiting).toContain(
      '  待补充材料 waiting for your information, due by 2026-03-18 (clock stopped)',
    );
    expect(waiting).toContain(
      '    公众聚集场所消防安全检查 Fire-safety inspection of the premises [fire_safety]: 待补充材料 waiting for you, due 2026-03-16 (clock stopped) — 请补充消防平面图',
    );

    world.clock.advance(DAY); // Tuesday: one working day waited, so every deadline moves by one.
    const later = await phoneOf(resident.subject); // the first phone's token has expired
    const answered = await later.answer(submitted.id, '消防平面图已上传');
    expect(answered).toMatchObject({ id: submitted.id, status: 'in_progress', paused: false });
    const after = formatCases(await later.list());
    expect(after).toContain('  办理中 in progress, due by 2026-03-19');
    expect(after).toContain(
      '    2026-03-03 09:00  申请人已补充材料，继续办理 / Information received; work resumes',
    );
  });

  it('withdraws an open case, and shows no timeline for a case closed more than 30 days ago', async () => {
    world.clock.set('2026-03-02T01:00:00Z');
    const resident = await world.resident();
    const old = await world.submit(resident, 'open_restaurant', RESTAURANT_FORM);
    const phone = await phoneOf(resident.subject);
    const withdrawn = await phone.withdraw(old.id, '不开了');
    expect(withdrawn).toMatchObject({ id: old.id, status: 'withdrawn' });
    expect(withdrawn.tasks.map((t) => t.status)).toEqual([
      'cancelled',
      'cancelled',
      'cancelled',
      'cancelled',
    ]);

    world.clock.advance(31 * DAY);
    const recent = await world.submit(
      await world.resident(resident.subject), // the first token has expired
      'marriage_registration',
      MARRIAGE_FORM,
    );
    const later = await phoneOf(resident.subject); // the first phone's token has expired
    const reports = await later.list();
    // Newest first: the open case with its timeline, the one closed 31 days ago without.
    expect(reports.map((r) => [r.case.id, r.timeline === null])).toEqual([
      [recent.id, false],
      [old.id, true],
    ]);
    const lines = formatCases(reports);
    expect(lines.filter((l) => l === '  timeline:')).toHaveLength(1);
    expect(lines).toContain('  已撤回 withdrawn, closed 2026-03-02 09:00');

    // Withdrawing again is refused with workflow's code, in one sentence.
    await expect(later.withdraw(old.id)).rejects.toThrow(
      new PhoneError(
        'workflow refused the withdrawal (case_closed): The case is closed and takes no more changes.',
      ),
    );
  });

  it("is refused another resident's case, as if it did not exist", async () => {
    const owner = await world.resident();
    const theirs = await world.submit(owner, 'open_restaurant', RESTAURANT_FORM);
    const stranger = await phoneOf(`${owner.subject.slice(0, 15)}X`);
    await expect(stranger.withdraw(theirs.id)).rejects.toThrow(
      /^workflow refused the withdrawal \(not_found\)/,
    );
    await expect(stranger.answer(theirs.id, '你好')).rejects.toThrow(
      /^workflow refused the answer \(not_found\)/,
    );
    expect((await stranger.list()).map((r) => r.case.id)).not.toContain(theirs.id);
  });

  it('names WORKFLOW_PUBLIC_URLS when the proof names a URL workflow does not answer to', async () => {
    const resident = await world.resident();
    const phone = await phoneOf(resident.subject, 'http://localhost:3002');
    await expect(phone.list()).rejects.toThrow(
      /workflow refused the list of cases \(invalid_dpop_proof\).*WORKFLOW_PUBLIC_URLS, e\.g\. http:\/\/127\.0\.0\.1:3002 rather than http:\/\/localhost:3002/,
    );
  });
});
