import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cases, events } from '../src/db/schema.js';
import {
  type CaseBody,
  type CaseWorld,
  RESTAURANT_FORM,
  type Resident,
  startCaseWorld,
} from './helpers/case-world.js';

const PARALLEL = ['business_licence', 'fire_inspection', 'food_permit'] as const;
const DEPARTMENT: Record<string, string> = {
  business_licence: 'market_regulation',
  fire_inspection: 'fire_safety',
  food_permit: 'market_regulation',
  final_issuance: 'market_regulation',
};
const DECISIONS = ['approve', 'reject', 'request_information'] as const;
type Decision = (typeof DECISIONS)[number];

interface Answer {
  status: number;
  contentType: string | null;
  etag: string | null;
  replayed: string | null;
  body: (CaseBody & { code?: string }) | undefined;
}

describe('concurrent and repeated writes to a case', () => {
  let world: CaseWorld;
  let base: string;
  const officers: Record<string, Record<string, string>> = {};

  beforeAll(async () => {
    world = await startCaseWorld();
    base = await world.serve();
    for (const department of ['market_regulation', 'fire_safety']) {
      officers[department] = await world.officer(department);
    }
  });
  afterAll(() => world?.close());

  const send = async (
    method: 'GET' | 'POST',
    path: string,
    headers: Record<string, string>,
    body?: object,
  ): Promise<Answer> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...headers,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return {
      status: res.status,
      contentType: res.headers.get('content-type'),
      etag: res.headers.get('etag'),
      replayed: res.headers.get('idempotent-replayed'),
      body: text === '' ? undefined : JSON.parse(text),
    };
  };

  const decide = (
    caseId: string,
    task: { id: string; step: string },
    decision: Decision,
    ifMatch: string | undefined,
  ) =>
    send(
      'POST',
      `/v1/cases/${caseId}/tasks/${task.id}/decision`,
      {
        ...officers[DEPARTMENT[task.step] as string],
        ...(ifMatch === undefined ? {} : { 'if-match': ifMatch }),
      },
      { decision, reason: `${task.step}: ${decision}` },
    );

  const caseEvents = (caseId: string) =>
    world.app.database.db
      .select({ type: events.type, version: events.aggregateVersion })
      .from(events)
      .where(and(eq(events.aggregateType, 'case'), eq(events.aggregateId, caseId)));

  const statuses = (body: CaseBody | undefined) =>
    Object.fromEntries((body?.tasks ?? []).map((t) => [t.step, t.status]));

  /** Where one decision from the fresh restaurant case leads, and the events it adds. */
  function expectedAfter(step: string, decision: Decision) {
    const tasks: Record<string, string> = {
      business_licence: 'open',
      fire_inspection: 'open',
      food_permit: 'open',
      final_issuance: 'waiting',
    };
    switch (decision) {
      case 'approve':
        tasks[step] = 'approved';
        return { status: 'in_progress', tasks, events: ['task.decided'] };
      case 'request_information':
        tasks[step] = 'awaiting_information';
        return {
          status: 'awaiting_information',
          tasks,
          events: ['task.decided', 'case.information_requested'],
        };
      case 'reject':
        for (const id of Object.keys(tasks)) tasks[id] = id === step ? 'rejected' : 'cancelled';
        return { status: 'rejected', tasks, events: ['task.decided', 'case.completed'] };
    }
  }

  async function expectOneWinner(
    submitted: CaseBody,
    requests: { task: CaseBody['tasks'][number]; decision: Decision }[],
  ) {
    const answers = await Promise.all(
      requests.map((r) => decide(submitted.id, r.task, r.decision, submitted.etag)),
    );
    const won = answers.flatMap((a, i) => (a.status === 200 ? [i] : []));
    expect(won, JSON.stringify(answers.map((a) => a.status))).toHaveLength(1);
    const winner = answers[won[0] as number] as Answer;
    const request = requests[won[0] as number] as (typeof requests)[number];
    const refused = answers.filter((a) => a !== winner);
    expect(refused).toHaveLength(requests.length - 1);
    for (const answer of refused) {
      expect(answer.status).toBe(412);
      expect(answer.contentType).toMatch(/^application\/problem\+json/);
      expect(answer.body?.code).toBe('version_conflict');
    }

    // The case moved once, exactly as the winning decision says, and its answer is what it is.
    const expected = expectedAfter(request.task.step, request.decision);
    expect(winner.body?.version).toBe(2);
    expect(winner.body?.status).toBe(expected.status);
    expect(statuses(winner.body)).toEqual(expected.tasks);
    const now = await send(
      'GET',
      `/v1/cases/${submitted.id}`,
      officers[DEPARTMENT[request.task.step] as string] as Record<string, string>,
    );
    expect(now.status).toBe(200);
    expect(now.etag).toBe(`"${submitted.id}.v2"`);
    expect(now.body?.status).toBe(expected.status);
    expect(statuses(now.body)).toEqual(expected.tasks);

    // Only the winner's events were recorded: the submission's four, then its own at version 2.
    const stored = await caseEvents(submitted.id);
    expect(
      stored
        .filter((e) => e.version === 1)
        .map((e) => e.type)
        .sort(),
    ).toEqual(['case.submitted', 'task.opened', 'task.opened', 'task.opened'].sort());
    expect(
      stored
        .filter((e) => e.version !== 1)
        .map((e) => e.type)
        .sort(),
    ).toEqual([...expected.events].sort());
    expect(stored.every((e) => e.version === 1 || e.version === 2)).toBe(true);
  }

  it('lets one of 50 concurrent decisions on different tasks with the same If-Match through; 49 get 412 version_conflict', async () => {
    const resident = await world.resident();
    const submitted = await world.submit(resident, 'open_restaurant', RESTAURANT_FORM);
    const requests = Array.from({ length: 50 }, (_, i) => ({
      task: submitted.tasks.find((t) => t.step === PARALLEL[i % 3]) as CaseBody['tasks'][number],
      decision: DECISIONS[Math.floor(i / 3) % 3] as Decision,
    }));
    await expectOneWinner(submitted, requests);
  });

  it('lets one of 50 concurrent approvals of the same task through; 49 get 412 version_conflict', async () => {
    const resident = await world.resident();
    const submitted = await world.submit(resident, 'open_restaurant', RESTAURANT_FORM);
    const task = submitted.tasks.find(
      (t) => t.step === 'fire_inspection',
    ) as CaseBody['tasks'][number];
    await expectOneWinner(
      submitted,
      Array.from({ length: 50 }, () => ({ task, decision: 'approve' as const })),
    );
  });

  it('refuses a decision without If-Match (428) and one with a stale ETag (412), changing nothing', async () => {
    const resident = await world.resident();
    const submitted = await world.submit(resident, 'open_restaurant', RESTAURANT_FORM);
    const task = (step: string) =>
      submitted.tasks.find((t) => t.step === step) as CaseBody['tasks'][number];

    const bare = await decide(submitted.id, task('business_licence'), 'approve', undefined);
    expect(bare.status).toBe(428);
    expect(bare.contentType).toMatch(/^application\/problem\+json/);
    expect(bare.body?.code).toBe('precondition_required');
    expect(await caseEvents(submitted.id)).toHaveLength(4);

    const first = await decide(submitted.id, task('business_licence'), 'approve', submitted.etag);
    expect(first.status).toBe(200);
    const before = await caseEvents(submitted.id);

    // The stale ETag names version 1; food_permit is still open, so only the version refuses it.
    const stale = await decide(submitted.id, task('food_permit'), 'approve', submitted.etag);
    expect(stale.status).toBe(412);
    expect(stale.contentType).toMatch(/^application\/problem\+json/);
    expect(stale.body?.code).toBe('version_conflict');

    const now = await world.read(
      submitted.id,
      officers.market_regulation as Record<string, string>,
    );
    expect(now.version).toBe(2);
    expect(now.etag).toBe(first.etag);
    expect(statuses(now)).toEqual({
      business_licence: 'approved',
      fire_inspection: 'open',
      food_permit: 'open',
      final_issuance: 'waiting',
    });
    expect(await caseEvents(submitted.id)).toEqual(before);
  });

  describe('POST /v1/cases with an Idempotency-Key', () => {
    const submit = async (resident: Resident, key: string, form: object) =>
      send(
        'POST',
        '/v1/cases',
        { ...(await resident.headersFor('POST', '/v1/cases')), 'idempotency-key': key },
        { service: 'open_restaurant', form },
      );
    const casesOf = (resident: Resident) =>
      world.app.database.db
        .select({ id: cases.id })
        .from(cases)
        .where(eq(cases.subjectId, resident.subject));

    it('returns the same case to a retry, marked Idempotent-Replayed, and creates one', async () => {
      const resident = await world.resident();
      const first = await submit(resident, 'restaurant-1', RESTAURANT_FORM);
      expect(first.status, JSON.stringify(first.body)).toBe(201);
      expect(first.replayed).toBeNull();

      const retry = await submit(resident, 'restaurant-1', RESTAURANT_FORM);
      expect(retry.status, JSON.stringify(retry.body)).toBe(201);
      expect(retry.replayed).toBe('true');
      expect(retry.body?.id).toBe(first.body?.id);
      expect(retry.body?.number).toBe(first.body?.number);
      expect(retry.body?.trackingCode).toBe(first.body?.trackingCode);
      expect(retry.etag).toBe(first.etag);
      expect(retry.body?.tasks.map((t) => t.id)).toEqual(first.body?.tasks.map((t) => t.id));

      expect(await casesOf(resident)).toEqual([{ id: first.body?.id }]);
      const submittedEvents = (await caseEvents(first.body?.id as string)).filter(
        (e) => e.type === 'case.submitted',
      );
      expect(submittedEvents).toHaveLength(1);
    });

    it('creates one case when retries with the same key arrive at the same moment', async () => {
      const resident = await world.resident();
      const answers = await Promise.all(
        Array.from({ length: 5 }, () => submit(resident, 'restaurant-burst', RESTAURANT_FORM)),
      );
      for (const answer of answers) expect(answer.status, JSON.stringify(answer.body)).toBe(201);
      expect(new Set(answers.map((a) => a.body?.id)).size).toBe(1);
      expect(new Set(answers.map((a) => a.body?.number)).size).toBe(1);
      expect(answers.filter((a) => a.replayed === null)).toHaveLength(1);
      expect(answers.filter((a) => a.replayed === 'true')).toHaveLength(4);
      expect(await casesOf(resident)).toEqual([{ id: answers[0]?.body?.id }]);
    });

    it('refuses the same key with a different form: 422 idempotency_conflict, no second case', async () => {
      const resident = await world.resident();
      const first = await submit(resident, 'restaurant-2', RESTAURANT_FORM);
      expect(first.status).toBe(201);
      const other = await submit(resident, 'restaurant-2', { ...RESTAURANT_FORM, seats: 41 });
      expect(other.status).toBe(422);
      expect(other.contentType).toMatch(/^application\/problem\+json/);
      expect(other.body?.code).toBe('idempotency_conflict');
      expect(await casesOf(resident)).toEqual([{ id: first.body?.id }]);
    });
  });
});
