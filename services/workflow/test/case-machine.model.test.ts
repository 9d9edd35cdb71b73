import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { criticalPathWorkingDays, initialState, transition } from '../src/domain/cases/machine.js';
import {
  CATALOGUE,
  type CaseBody,
  type CaseWorld,
  RESTAURANT_FORM,
  type Resident,
  startCaseWorld,
} from './helpers/case-world.js';

/*
 * The reference model: the case and task rules as the service's contract states them, written
 * here independently of src/domain/cases/machine.ts.
 *
 * - A case is in_progress, awaiting_information, or closed (approved, rejected, withdrawn).
 * - A task waits until every step it depends on is approved, then opens; it is approved or
 *   rejected by a decision, parked by a request for information, cancelled when its case closes
 *   another way while it is still live.
 * - Every command on a closed case is refused with case_closed.
 * - While the case waits on the resident, decisions are refused (case_awaiting_information);
 *   the resident's answer reopens what was parked. An answer nobody asked for is refused
 *   (case_not_awaiting_information).
 * - A decision needs its task open (task_not_open). Approving the last step approves the case;
 *   rejecting any step rejects it. The resident may withdraw while the case is not closed.
 */

type CaseStatus = 'in_progress' | 'awaiting_information' | 'approved' | 'rejected' | 'withdrawn';
type TaskStatus =
  | 'waiting'
  | 'open'
  | 'awaiting_information'
  | 'approved'
  | 'rejected'
  | 'cancelled';
type Decision = 'approve' | 'reject' | 'request_information';
type Refusal =
  | 'case_closed'
  | 'case_awaiting_information'
  | 'case_not_awaiting_information'
  | 'task_not_open';

interface Step {
  readonly id: string;
  readonly dependsOn: readonly string[];
}

interface RefState {
  readonly status: CaseStatus;
  readonly tasks: Readonly<Record<string, TaskStatus>>;
}

type RefCommand =
  | { readonly kind: 'decide'; readonly stepId: string; readonly decision: Decision }
  | { readonly kind: 'provide_information' }
  | { readonly kind: 'withdraw' };

type RefOutcome = { ok: true; state: RefState } | { ok: false; refusal: Refusal };

const CLOSED = new Set<CaseStatus>(['approved', 'rejected', 'withdrawn']);
const STILL_LIVE = new Set<TaskStatus>(['waiting', 'open', 'awaiting_information']);

function refStart(steps: readonly Step[]): RefState {
  return {
    status: 'in_progress',
    tasks: Object.fromEntries(steps.map((s) => [s.id, s.dependsOn.length ? 'waiting' : 'open'])),
  };
}

/** Closes the case: every task still live is cancelled, decided ones keep their decision. */
function close(tasks: Record<string, TaskStatus>, status: CaseStatus): RefState {
  const out: Record<string, TaskStatus> = {};
  for (const [id, s] of Object.entries(tasks)) out[id] = STILL_LIVE.has(s) ? 'cancelled' : s;
  return { status, tasks: out };
}

function refApply(steps: readonly Step[], state: RefState, cmd: RefCommand): RefOutcome {
  if (CLOSED.has(state.status)) return { ok: false, refusal: 'case_closed' };
  const tasks = { ...state.tasks };
  if (cmd.kind === 'withdraw') return { ok: true, state: close(tasks, 'withdrawn') };
  if (cmd.kind === 'provide_information') {
    if (state.status !== 'awaiting_information') {
      return { ok: false, refusal: 'case_not_awaiting_information' };
    }
    for (const id of Object.keys(tasks)) {
      if (tasks[id] === 'awaiting_information') tasks[id] = 'open';
    }
    return { ok: true, state: { status: 'in_progress', tasks } };
  }
  if (state.status === 'awaiting_information') {
    return { ok: false, refusal: 'case_awaiting_information' };
  }
  if (tasks[cmd.stepId] !== 'open') return { ok: false, refusal: 'task_not_open' };
  if (cmd.decision === 'reject') {
    tasks[cmd.stepId] = 'rejected';
    return { ok: true, state: close(tasks, 'rejected') };
  }
  if (cmd.decision === 'request_information') {
    tasks[cmd.stepId] = 'awaiting_information';
    return { ok: true, state: { status: 'awaiting_information', tasks } };
  }
  tasks[cmd.stepId] = 'approved';
  const approved = (id: string) => tasks[id] === 'approved';
  // Readiness is judged against the tasks after this approval, all at once.
  const ready = steps.filter((s) => tasks[s.id] === 'waiting' && s.dependsOn.every(approved));
  for (const s of ready) tasks[s.id] = 'open';
  const allApproved = steps.every((s) => approved(s.id));
  return { ok: true, state: { status: allApproved ? 'approved' : 'in_progress', tasks } };
}

// ---------------------------------------------------------------------------------------------
// The acceptance: the real service over HTTP against the reference model.

interface ServiceUnderTest {
  readonly code: string;
  readonly form: Record<string, unknown>;
  readonly steps: readonly (Step & { readonly department: string })[];
  /** Departments that may try to decide; one of them has no step in the service at all. */
  readonly departments: readonly string[];
}

function fromCatalogue(code: string, form: Record<string, unknown>): ServiceUnderTest {
  const definition = JSON.parse(readFileSync(join(CATALOGUE, `${code}.json`), 'utf8')) as {
    steps: { id: string; department: string; dependsOn: string[] }[];
  };
  const steps = definition.steps.map(({ id, department, dependsOn }) => ({
    id,
    department,
    dependsOn,
  }));
  const departments = [...new Set([...steps.map((s) => s.department), 'civil_affairs'])];
  return { code, form, steps, departments };
}

const SERVICES = [
  fromCatalogue('open_restaurant', RESTAURANT_FORM),
  fromCatalogue('newborn_registration', {
    childName: '李小禾',
    childSex: 'female',
    birthDate: '2026-02-20',
    birthCertificateNumber: 'M260220013',
    householdOf: 'mother',
  }),
];

/** The model of one case: the reference state, which steps were ever reached, the version. */
interface Model {
  state: RefState;
  /** Steps whose task has opened at some point: their department sees the case from then on. */
  reached: Set<string>;
  version: number;
  /** Commands sent to the case after it closed; a few show it refuses them, more add nothing. */
  afterClose: number;
}

interface Real {
  readonly world: CaseWorld;
  readonly officers: Record<string, Record<string, string>>;
  readonly resident: Resident;
  readonly caseId: string;
  readonly taskIds: Readonly<Record<string, string>>;
  etag: string;
}

type Expected = { ok: true; state: RefState } | { ok: false; status: number; code: string };

type Answer = Awaited<ReturnType<CaseWorld['app']['app']['inject']>>;

const statusesOf = (body: CaseBody) =>
  Object.fromEntries(body.tasks.map((t) => [t.step, t.status]));

abstract class CaseCommand implements fc.AsyncCommand<Model, Real> {
  constructor(protected readonly service: ServiceUnderTest) {}
  check = (m: Readonly<Model>) => m.afterClose < 3;
  abstract toString(): string;
  /** What this run of the command did, for failure messages. */
  protected said(): string {
    return String(this);
  }
  protected abstract expected(m: Model): Expected;
  protected abstract send(r: Real): Promise<Answer>;
  /** Settles what the command acts on from the model, for commands that aim at its state. */
  protected resolve(_m: Model) {}

  async run(m: Model, r: Real) {
    this.resolve(m);
    if (CLOSED.has(m.state.status)) m.afterClose += 1;
    const expected = this.expected(m);
    const said = this.said();
    const res = await this.send(r);
    if (expected.ok) {
      expect(res.statusCode, `${said}: ${res.body}`).toBe(200);
      const body = res.json() as CaseBody;
      expect(body.status, said).toBe(expected.state.status);
      expect(statusesOf(body), said).toEqual(expected.state.tasks);
      expect(body.version, said).toBe(m.version + 1);
      for (const step of this.service.steps) {
        if (expected.state.tasks[step.id] === 'open') m.reached.add(step.id);
      }
      m.state = expected.state;
      m.version += 1;
      r.etag = String(res.headers.etag);
      expect(r.etag).toBe(`"${r.caseId}.v${m.version}"`);
      return;
    }
    expect(res.statusCode, `${said}: ${res.body}`).toBe(expected.status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json().code, said).toBe(expected.code);
    // Refused: the case is exactly as it was.
    const now = await r.world.read(
      r.caseId,
      await r.resident.headersFor('GET', `/v1/cases/${r.caseId}`),
    );
    expect(now.version, `${said} changed the case`).toBe(m.version);
    expect(now.etag).toBe(r.etag);
    expect(now.status).toBe(m.state.status);
    expect(statusesOf(now)).toEqual(m.state.tasks);
  }
}

class Decide extends CaseCommand {
  /** The step and department of this run: the generated ones, or the aimed-at open task's. */
  private target: { step: string; department: string };

  constructor(
    service: ServiceUnderTest,
    private readonly step: string,
    private readonly decision: Decision,
    private readonly department: string,
    /** When set: the open task at this index (modulo their number), by its own department. */
    private readonly openTask?: number,
  ) {
    super(service);
    this.target = { step, department };
  }
  toString() {
    // The command as generated (fast-check prints this for a counterexample), not one run's aim.
    return this.openTask === undefined
      ? `${this.department} ${this.decision} ${this.step}`
      : `${this.decision} open task #${this.openTask} (else ${this.department} ${this.step})`;
  }
  protected override said() {
    return `${this.target.department} ${this.decision} ${this.target.step}`;
  }
  protected override resolve(m: Model) {
    this.target = { step: this.step, department: this.department };
    if (this.openTask === undefined) return;
    const open = this.service.steps.filter((s) => m.state.tasks[s.id] === 'open');
    // No open task: the generated step stays, and the decision is refused.
    const step = open[this.openTask % Math.max(open.length, 1)];
    if (step !== undefined) this.target = { step: step.id, department: step.department };
  }
  protected expected(m: Model): Expected {
    const { step, department } = this.target;
    // Access comes before the rules: a department sees the case once one of its steps was
    // reached (404 before, so the case's existence does not leak); it decides only its own.
    const sees = this.service.steps.some((s) => s.department === department && m.reached.has(s.id));
    if (!sees) return { ok: false, status: 404, code: 'not_found' };
    const owner = this.service.steps.find((s) => s.id === step)?.department;
    if (owner !== department) return { ok: false, status: 403, code: 'forbidden' };
    const outcome = refApply(this.service.steps, m.state, {
      kind: 'decide',
      stepId: step,
      decision: this.decision,
    });
    return outcome.ok ? outcome : { ok: false, status: 409, code: outcome.refusal };
  }
  protected send(r: Real) {
    const { step, department } = this.target;
    return r.world.app.app.inject({
      method: 'POST',
      url: `/v1/cases/${r.caseId}/tasks/${r.taskIds[step]}/decision`,
      headers: { ...r.officers[department], 'if-match': r.etag },
      payload: { decision: this.decision, reason: `${step}: ${this.decision}` },
    });
  }
}

class ProvideInformation extends CaseCommand {
  toString() {
    return 'resident provides information';
  }
  protected expected(m: Model): Expected {
    const outcome = refApply(this.service.steps, m.state, { kind: 'provide_information' });
    return outcome.ok ? outcome : { ok: false, status: 409, code: outcome.refusal };
  }
  protected async send(r: Real) {
    const url = `/v1/cases/${r.caseId}/information`;
    return r.world.app.app.inject({
      method: 'POST',
      url,
      headers: { ...(await r.resident.headersFor('POST', url)), 'if-match': r.etag },
      payload: { message: '已补充房屋租赁合同扫描件' },
    });
  }
}

class Withdraw extends CaseCommand {
  toString() {
    return 'resident withdraws';
  }
  protected expected(m: Model): Expected {
    const outcome = refApply(this.service.steps, m.state, { kind: 'withdraw' });
    return outcome.ok ? outcome : { ok: false, status: 409, code: outcome.refusal };
  }
  protected async send(r: Real) {
    const url = `/v1/cases/${r.caseId}/withdraw`;
    return r.world.app.app.inject({
      method: 'POST',
      url,
      headers: { ...(await r.resident.headersFor('POST', url)), 'if-match': r.etag },
      payload: { reason: '不再需要' },
    });
  }
}

const DECISIONS: readonly Decision[] = ['approve', 'reject', 'request_information'];

function commandsFor(service: ServiceUnderTest) {
  const stepIds = service.steps.map((s) => s.id);
  const ownerOf = (step: string) => service.steps.find((s) => s.id === step)?.department as string;
  const approve = fc
    .constantFrom(...stepIds)
    .map((step) => new Decide(service, step, 'approve', ownerOf(step)));
  const onOpenTask = (decision: fc.Arbitrary<Decision>) =>
    fc
      .tuple(fc.constantFrom(...stepIds), decision, fc.nat(9))
      .map(([step, d, n]) => new Decide(service, step, d, ownerOf(step), n));
  const anyDecision = fc
    .tuple(fc.constantFrom(...stepIds), fc.constantFrom(...DECISIONS))
    .map(([step, decision]) => new Decide(service, step, decision, ownerOf(step)));
  const wrongDepartment = fc
    .constantFrom(
      ...stepIds.flatMap((step) =>
        service.departments.filter((d) => d !== ownerOf(step)).map((d) => [step, d] as const),
      ),
    )
    .chain(([step, department]) =>
      fc.constantFrom(...DECISIONS).map((d) => new Decide(service, step, d, department)),
    );
  const provide = fc.constant(new ProvideInformation(service));
  const withdraw = fc.constant(new Withdraw(service));
  // Approvals of open tasks weigh most, so runs pass joins and reach the end; withdrawal least,
  // as it ends a run. The rest aim anywhere and are mostly refused.
  const approveOpen = onOpenTask(fc.constant('approve'));
  return [
    ...Array.from({ length: 6 }, () => approveOpen),
    onOpenTask(fc.constantFrom(...DECISIONS)),
    onOpenTask(fc.constant('request_information')),
    approve,
    anyDecision,
    anyDecision,
    wrongDepartment,
    wrongDepartment,
    provide,
    provide,
    withdraw,
  ];
}

describe('the case and task state machine over HTTP, against a reference model', () => {
  let world: CaseWorld;
  const officers: Record<string, Record<string, string>> = {};

  beforeAll(async () => {
    world = await startCaseWorld();
    for (const department of new Set(SERVICES.flatMap((s) => s.departments))) {
      officers[department] = await world.officer(department);
    }
  });
  afterAll(() => world?.close());

  it('takes an answer given in the same instant the information was asked for', async () => {
    // The clock does not move: the pause begins and ends at once and stops no clock.
    const resident = await world.resident();
    const submitted = await world.submit(resident, 'open_restaurant', RESTAURANT_FORM);
    const task = submitted.tasks.find(
      (t) => t.step === 'business_licence',
    ) as CaseBody['tasks'][number];
    const asked = await world.decide(
      submitted.id,
      task.id,
      'market_regulation',
      { decision: 'request_information', reason: '请补充租赁合同' },
      submitted.etag,
    );
    expect(asked.statusCode, asked.body).toBe(200);
    expect(asked.json()).toMatchObject({ status: 'awaiting_information', paused: true });
    const url = `/v1/cases/${submitted.id}/information`;
    const answered = await world.app.app.inject({
      method: 'POST',
      url,
      headers: {
        ...(await resident.headersFor('POST', url)),
        'if-match': String(asked.headers.etag),
      },
      payload: { message: '已补充租赁合同' },
    });
    expect(answered.statusCode, answered.body).toBe(200);
    const body = answered.json() as CaseBody;
    expect(body).toMatchObject({ status: 'in_progress', paused: false, dueAt: submitted.dueAt });
    expect(body.tasks.find((t) => t.step === 'business_licence')).toMatchObject({
      status: 'open',
      paused: false,
      dueAt: task.dueAt,
    });
  });

  it('shows a closed case to no department whose step it never reached', async () => {
    const [, newborn] = SERVICES as [ServiceUnderTest, ServiceUnderTest];
    const resident = await world.resident();
    const submitted = await world.submit(resident, newborn.code, newborn.form);
    const url = `/v1/cases/${submitted.id}/withdraw`;
    const withdrawn = await world.app.app.inject({
      method: 'POST',
      url,
      headers: { ...(await resident.headersFor('POST', url)), 'if-match': submitted.etag },
      payload: {},
    });
    expect(withdrawn.statusCode, withdrawn.body).toBe(200);
    // Household, insurance and card were cancelled while still waiting: never their turn.
    for (const department of ['public_security', 'social_security']) {
      for (const path of [`/v1/cases/${submitted.id}`, `/v1/cases/${submitted.id}/events`]) {
        const res = await world.app.app.inject({
          method: 'GET',
          url: path,
          headers: officers[department],
        });
        expect(res.statusCode, `${department} ${path}`).toBe(404);
        expect(res.body).not.toContain(newborn.form.childName as string);
      }
    }
    const health = await world.app.app.inject({
      method: 'GET',
      url: `/v1/cases/${submitted.id}`,
      headers: officers.health,
    });
    expect(health.statusCode).toBe(200);
  });

  for (const service of SERVICES) {
    it(`accepts every legal command and refuses every illegal one: ${service.code}`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.commands(commandsFor(service), { maxCommands: 20, size: 'max' }),
          async (commands) => {
            const resident = await world.resident();
            const submitted = await world.submit(resident, service.code, service.form);
            const start = refStart(service.steps);
            expect(submitted.status).toBe(start.status);
            expect(statusesOf(submitted)).toEqual(start.tasks);
            const model: Model = {
              state: start,
              reached: new Set(
                service.steps.filter((s) => start.tasks[s.id] === 'open').map((s) => s.id),
              ),
              version: submitted.version,
              afterClose: 0,
            };
            const real: Real = {
              world,
              officers,
              resident,
              caseId: submitted.id,
              taskIds: Object.fromEntries(submitted.tasks.map((t) => [t.step, t.id])),
              etag: submitted.etag,
            };
            await fc.asyncModelRun(() => ({ model, real }), commands);
          },
        ),
        { numRuns: 50 },
      );
    }, 60_000);
  }
});

// ---------------------------------------------------------------------------------------------
// The pure machine on random step graphs, against the same reference model.

/** A random DAG: each step depends only on steps earlier in a hidden order, then shuffled. */
const graph = fc
  .integer({ min: 1, max: 7 })
  .chain((n) =>
    fc.tuple(
      fc.tuple(
        ...Array.from({ length: n }, (_, i) =>
          fc.subarray(Array.from({ length: i }, (_, j) => `s${j}`)),
        ),
      ),
      fc.shuffledSubarray(
        Array.from({ length: n }, (_, i) => i),
        { minLength: n, maxLength: n },
      ),
      fc.array(fc.integer({ min: 1, max: 30 }), { minLength: n, maxLength: n }),
    ),
  )
  .map(([deps, order, days]) =>
    order.map((i) => ({ id: `s${i}`, dependsOn: deps[i] ?? [], slaWorkingDays: days[i] ?? 1 })),
  );

/** The longest path by listing every path: exponential, fine for seven steps. */
function longestPath(steps: readonly (Step & { slaWorkingDays: number })[]): number {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const through = (id: string): number => {
    const step = byId.get(id) as Step & { slaWorkingDays: number };
    const before = step.dependsOn.map(through);
    return step.slaWorkingDays + (before.length === 0 ? 0 : Math.max(...before));
  };
  return Math.max(...steps.map((s) => through(s.id)));
}

describe('machine.ts on random step graphs', () => {
  it('gives the longest path of working days as the case time limit', () => {
    fc.assert(
      fc.property(graph, (steps) => {
        const days = criticalPathWorkingDays(steps);
        expect(days).toBe(longestPath(steps));
        expect(days).toBeGreaterThanOrEqual(Math.max(...steps.map((s) => s.slaWorkingDays)));
        expect(days).toBeLessThanOrEqual(steps.reduce((sum, s) => sum + s.slaWorkingDays, 0));
      }),
    );
  });

  it('accepts and refuses exactly what the reference model does', () => {
    const run = graph.chain((steps) =>
      fc.tuple(
        fc.constant(steps),
        fc.array(
          fc.oneof(
            {
              weight: 6,
              arbitrary: fc.constantFrom(...steps.map((s) => s.id)).map((stepId) => ({
                kind: 'decide' as const,
                stepId,
                decision: 'approve' as const,
              })),
            },
            {
              weight: 3,
              arbitrary: fc
                .tuple(fc.constantFrom(...steps.map((s) => s.id)), fc.constantFrom(...DECISIONS))
                .map(([stepId, decision]) => ({ kind: 'decide' as const, stepId, decision })),
            },
            { weight: 2, arbitrary: fc.constant({ kind: 'provide_information' as const }) },
            { weight: 1, arbitrary: fc.constant({ kind: 'withdraw' as const }) },
          ),
          { maxLength: 25 },
        ),
      ),
    );
    fc.assert(
      fc.property(run, ([steps, commands]) => {
        let ref = refStart(steps);
        let state = initialState(steps);
        expect(state).toEqual(ref);
        for (const command of commands) {
          const expected = refApply(steps, ref, command);
          const actual = transition(steps, state, command);
          if (!expected.ok) {
            expect(actual).toEqual({ ok: false, refusal: expected.refusal });
            continue;
          }
          if (!actual.ok) throw new Error(`refused ${JSON.stringify(command)}: ${actual.refusal}`);
          expect(actual.state).toEqual(expected.state);
          // What opened is what went from waiting to open; the end is named when it came.
          expect([...actual.opened].sort()).toEqual(
            steps
              .filter((s) => ref.tasks[s.id] === 'waiting' && expected.state.tasks[s.id] === 'open')
              .map((s) => s.id)
              .sort(),
          );
          expect(actual.completed).toBe(
            CLOSED.has(expected.state.status) ? expected.state.status : undefined,
          );
          ref = expected.state;
          state = actual.state;
        }
      }),
      { numRuns: 300 },
    );
  });
});
