import { requireActor } from '@tongban/auth';
import { RESIDENT_ERRORS } from '@tongban/dpop';
import {
  IdempotencyKeyHeaders,
  parseIfMatch,
  requireIfMatch,
  respondIdempotently,
  type ServiceInstance,
} from '@tongban/service-kit';
import { Type } from 'typebox';
import { idempotencyKeys } from '../../db/schema.js';
import { attachRecords } from '../../domain/cases/attach-records.js';
import type { CaseContext } from '../../domain/cases/context.js';
import { decideTask, provideInformation, withdrawCase } from '../../domain/cases/decide.js';
import {
  getCase,
  listCases,
  listDepartmentTasks,
  loadCaseView,
} from '../../domain/cases/read-cases.js';
import { caseReceipt, receiptPng, receiptSvg } from '../../domain/cases/receipt.js';
import { resolveApplicant, submitCase } from '../../domain/cases/submit-case.js';
import { issueTaskGrant } from '../../domain/cases/task-grant.js';
import { listCaseEvents, trackCase } from '../../domain/cases/timeline.js';
import { caseEtag, toCase } from '../../domain/cases/to-case.js';
import type { CaseDeps } from './deps.js';
import {
  Case,
  CaseEventList,
  CaseGrant,
  CaseList,
  CaseListQuery,
  CaseParams,
  CaseQuery,
  DecisionBody,
  EventsQuery,
  IfMatchHeader,
  InformationBody,
  NewCase,
  QueuePage,
  QueueParams,
  QueueQuery,
  TaskParams,
  Tracking,
  TrackParams,
  WithdrawBody,
} from './schemas.js';

const security = [{ bearerAuth: [] }];
const VERIFY_ERRORS = ['verification_required', 'identity_unavailable'] as const;

/** The bearer token as sent: identity's verification look-up is asked with the clerk's own. */
const bearerOf = (request: { headers: { authorization?: string | undefined } }) =>
  (request.headers.authorization ?? '').replace(/^(Bearer|DPoP)\s+/i, '');

/** Cases, tasks, decisions, the resident's acts, the queue and the public tracking page. */
export function caseRoutes(app: ServiceInstance, deps: CaseDeps) {
  const ctxOf = (request: Parameters<typeof requireActor>[0], db = deps.db): CaseContext => ({
    db,
    actor: requireActor(request),
    requestId: request.id,
    clock: deps.clock,
    calendar: deps.calendar,
    settings: deps.settings,
  });
  const caseReply = (
    reply: { header(name: string, value: string): unknown },
    result: Awaited<ReturnType<typeof decideTask>>,
  ) => {
    reply.header('etag', caseEtag(result.row));
    return toCase(result.row, result.tasks, result.definition, deps.clock());
  };

  app.post(
    '/v1/cases',
    {
      config: {
        auth: { kinds: ['resident', 'staff'] },
        errors: [...RESIDENT_ERRORS, ...VERIFY_ERRORS],
      },
      schema: {
        tags: ['cases'],
        summary:
          'Apply for a service: a resident for themselves, or a counter clerk for a resident',
        description:
          'The form is checked against the newest version of the service, which the case keeps for life. A clerk (`cases:write`) names the resident and a verification their department made in the last 10 minutes (`verification_required` otherwise). Gives the case number and tracking code, opens the first steps’ tasks (`case.submitted`, `task.opened`), then pulls the records the service needs from the record API with purpose `case:<id>` and attaches their references; a type the resident has no record of is listed under `records.missing` with its issuing department. If the record API cannot be reached, the case is still created (`records.pulled: false`) and the pull is retried in the background. A resident’s token needs its DPoP proof.',
        security,
        headers: Type.Object({
          ...IdempotencyKeyHeaders.properties,
          ...deps.proofHeaders.properties,
        }),
        body: NewCase,
        response: { 201: Case },
      },
    },
    async (request, reply) => {
      const applicant = await resolveApplicant(
        ctxOf(request),
        { checkVerification: deps.checkVerification, bearerToken: bearerOf(request) },
        request.body,
      );
      const stored = await respondIdempotently(request, reply, {
        db: deps.db,
        table: idempotencyKeys,
        now: deps.clock(),
        run: async (tx) => {
          const { row, tasks, definition } = await submitCase({
            ctx: ctxOf(request, tx),
            deps: { definitions: deps.definitions, forms: deps.forms, applicant },
            input: request.body,
          });
          return {
            status: 201,
            body: toCase(row, tasks, definition, deps.clock()),
            headers: { location: `/v1/cases/${row.id}`, etag: caseEtag(row) },
          };
        },
      });
      // After the commit: pull the records (HTTP, outside any transaction), then answer with the
      // case as it now stands, also to a retry that replayed the stored answer.
      const ctx = ctxOf(request);
      let current = await loadCaseView(ctx, deps.definitions, stored.id);
      if (deps.pullRecords !== undefined && current.row.recordsPulledAt === null) {
        try {
          await attachRecords({
            ctx,
            pull: deps.pullRecords,
            input: { row: current.row, definition: current.definition },
          });
          current = await loadCaseView(ctx, deps.definitions, stored.id);
        } catch (err) {
          request.log.warn({ err, caseId: stored.id }, 'records pull failed; the job retries it');
        }
      }
      reply.header('etag', caseEtag(current.row));
      return current.view;
    },
  );

  app.get(
    '/v1/cases',
    {
      config: {
        auth: { kinds: ['resident', 'staff'] },
        errors: [...RESIDENT_ERRORS, ...VERIFY_ERRORS],
      },
      schema: {
        tags: ['cases'],
        summary: "A resident's cases, newest first",
        description:
          'A resident sees their own (DPoP-bound token). Counter staff (`cases:read`) see a resident’s cases only with `subjectId` and a `verificationId` their own department made for that resident in the last 10 minutes, from a QR scan or an ID-card check; otherwise 403 `verification_required`. Department officers see cases through their tasks (GET /v1/departments/{code}/tasks).',
        security,
        headers: deps.proofHeaders,
        querystring: CaseListQuery,
        response: { 200: CaseList },
      },
    },
    (request) =>
      listCases({
        ctx: ctxOf(request),
        definitions: deps.definitions,
        checkVerification: deps.checkVerification,
        input: { ...request.query, bearerToken: bearerOf(request) },
      }),
  );

  app.get(
    '/v1/cases/:id',
    {
      config: {
        auth: { kinds: ['resident', 'staff', 'client'] },
        errors: [...RESIDENT_ERRORS, ...VERIFY_ERRORS],
      },
      schema: {
        tags: ['cases'],
        summary: 'One case, with its tasks, deadlines and record references',
        description:
          'For the resident it belongs to; for staff and systems of a department whose task on it has been reached; for counter staff with a fresh `verificationId` of the resident. Anyone else gets 404. The ETag is what decisions send in If-Match.',
        security,
        headers: deps.proofHeaders,
        params: CaseParams,
        querystring: CaseQuery,
        response: { 200: Case },
      },
    },
    async (request, reply) => {
      const { row, view } = await getCase({
        ctx: ctxOf(request),
        definitions: deps.definitions,
        checkVerification: deps.checkVerification,
        input: {
          caseId: request.params.id,
          verificationId: request.query.verificationId,
          bearerToken: bearerOf(request),
        },
      });
      reply.header('etag', caseEtag(row));
      return view;
    },
  );

  app.get(
    '/v1/cases/:id/events',
    {
      config: { auth: { kinds: ['resident', 'staff', 'client'] }, errors: [...RESIDENT_ERRORS] },
      schema: {
        tags: ['cases'],
        summary: "The case's timeline: every change, in order, with a plain sentence in zh and en",
        description:
          'Append-only. Who may read it as for the case. Officers are never named, only their department; reasons are shown, because the resident is owed them.',
        security,
        headers: deps.proofHeaders,
        params: CaseParams,
        querystring: EventsQuery,
        response: { 200: CaseEventList },
      },
    },
    (request) =>
      listCaseEvents({
        ctx: ctxOf(request),
        definitions: deps.definitions,
        input: {
          caseId: request.params.id,
          limit: request.query.limit,
          after: request.query.cursor,
        },
      }),
  );

  app.post(
    '/v1/cases/:id/tasks/:taskId/decision',
    {
      config: {
        auth: { kinds: ['staff'], scopes: ['cases:decide'] },
        errors: ['case_closed', 'case_awaiting_information', 'task_not_open'],
      },
      schema: {
        tags: ['cases'],
        summary: "Decide your department's open task: approve, reject or request information",
        description:
          'Case officers (`cases:decide`) of the task’s department. Requires If-Match with the case’s ETag (428 without, 412 `version_conflict` when the case changed). Approving opens every step whose dependencies are now all approved, exactly once; the last approval approves the case. Rejecting closes the case. Requesting information stops the case’s clocks until the resident answers. Emits `task.decided`, and `task.opened`, `case.information_requested`, `case.completed` as they happen.',
        security,
        params: TaskParams,
        headers: IfMatchHeader,
        body: DecisionBody,
        response: { 200: Case },
      },
    },
    async (request, reply) => {
      const ifMatch = requireIfMatch(request);
      const result = await decideTask({
        ctx: ctxOf(request),
        definitions: deps.definitions,
        input: {
          caseId: request.params.id,
          taskId: request.params.taskId,
          decision: request.body.decision as 'approve' | 'reject' | 'request_information',
          reason: request.body.reason,
          ifMatch,
        },
      });
      return caseReply(reply, result);
    },
  );

  app.post(
    '/v1/cases/:id/tasks/:taskId/case-grant',
    {
      config: { auth: { kinds: ['staff'], scopes: ['cases:decide'] }, errors: ['task_not_open'] },
      schema: {
        tags: ['cases'],
        summary: "A case grant for reading this task's records at the record API",
        description:
          'For case officers of the task’s department while the task is open or waiting on the resident: a short-lived `tb-case-grant+jwt` (signed with workflow’s key, JWKS at /.well-known/jwks.json) covering the record types this step reads. Send it as `Case-Grant` with purpose `case:<id>` to GET /v1/records; the read is logged in the resident’s access log with that purpose.',
        security,
        params: TaskParams,
        response: { 200: CaseGrant },
      },
    },
    (request) =>
      issueTaskGrant({
        ctx: ctxOf(request),
        keys: deps.keys,
        definitions: deps.definitions,
        input: { caseId: request.params.id, taskId: request.params.taskId },
      }),
  );

  app.post(
    '/v1/cases/:id/withdraw',
    {
      config: { auth: { kinds: ['resident'] }, errors: [...RESIDENT_ERRORS, 'case_closed'] },
      schema: {
        tags: ['cases'],
        summary: 'Withdraw my application',
        description:
          'The resident, while the case is not closed. If-Match is optional and honoured. Cancels every task still open or waiting; emits `case.withdrawn` and `case.completed`.',
        security,
        params: CaseParams,
        headers: Type.Object({ ...IfMatchHeader.properties, ...deps.proofHeaders.properties }),
        body: WithdrawBody,
        response: { 200: Case },
      },
    },
    async (request, reply) => {
      const result = await withdrawCase({
        ctx: ctxOf(request),
        definitions: deps.definitions,
        input: {
          caseId: request.params.id,
          reason: request.body.reason,
          ifMatch: parseIfMatch(request.headers['if-match']),
        },
      });
      return caseReply(reply, result);
    },
  );

  app.post(
    '/v1/cases/:id/information',
    {
      config: {
        auth: { kinds: ['resident'] },
        errors: [...RESIDENT_ERRORS, 'case_closed', 'case_not_awaiting_information'],
      },
      schema: {
        tags: ['cases'],
        summary: 'Answer a request for information on my case',
        description:
          'The resident, while a department waits on them. The task that asked reopens and every clock restarts where it stopped (deadlines move on by the working time of the wait). If-Match is optional and honoured. Emits `case.information_provided`.',
        security,
        params: CaseParams,
        headers: Type.Object({ ...IfMatchHeader.properties, ...deps.proofHeaders.properties }),
        body: InformationBody,
        response: { 200: Case },
      },
    },
    async (request, reply) => {
      const result = await provideInformation({
        ctx: ctxOf(request),
        definitions: deps.definitions,
        input: {
          caseId: request.params.id,
          message: request.body.message,
          ifMatch: parseIfMatch(request.headers['if-match']),
        },
      });
      return caseReply(reply, result);
    },
  );

  for (const format of ['svg', 'png'] as const) {
    app.get(
      `/v1/cases/:id/receipt.${format}`,
      {
        // Rendering costs CPU (a QR, and rasterizing for PNG): bounded per caller address.
        config: {
          auth: { kinds: ['resident', 'staff', 'client'] },
          errors: [...RESIDENT_ERRORS],
          rateLimit: { max: 30, timeWindow: 60_000 },
        },
        schema: {
          tags: ['cases'],
          summary: `The printable receipt (${format.toUpperCase()}) with a QR of the public tracking URL`,
          description:
            'A6 portrait: service, case number, accepted and due dates in the city’s time zone, and a QR of the tracking page with the tracking code spelled out. No name, ID number or form data. For the resident, the department that took the application, and departments working the case; anyone else gets 404. Rendered on request: print, do not poll.',
          security,
          headers: deps.proofHeaders,
          params: CaseParams,
        },
      },
      async (request, reply) => {
        const data = await caseReceipt({
          ctx: ctxOf(request),
          definitions: deps.definitions,
          input: { caseId: request.params.id },
        });
        reply.header('cache-control', 'private, no-store');
        if (format === 'svg') {
          return reply
            .type('image/svg+xml; charset=utf-8')
            .send(await receiptSvg(deps.calendar, data));
        }
        return reply.type('image/png').send(await receiptPng(deps.calendar, data));
      },
    );
  }

  app.get(
    '/v1/departments/:code/tasks',
    {
      config: { auth: { kinds: ['staff', 'client'] } },
      schema: {
        tags: ['tasks'],
        summary: "A department's queue, soonest deadline first",
        description:
          'Staff and systems of that department (`cases:read` or `cases:decide`); another department’s queue is 403. `view`: `open` (default), `due_soon` (open, due within two days, overdue included), `overdue` (open, its clock ran out: a task whose clock stopped before its deadline is not late), `awaiting_information`, `decided` (approved or rejected, newest decision first). Keyset-paginated on (deadline, id), or (decision time, id) for `decided`: a deep page costs what the first does.',
        security,
        params: QueueParams,
        querystring: QueueQuery,
        response: { 200: QueuePage },
      },
    },
    (request) =>
      listDepartmentTasks({
        ctx: ctxOf(request),
        definitions: deps.definitions,
        input: {
          department: request.params.code,
          view: request.query.view as 'open',
          limit: request.query.limit,
          cursor: request.query.cursor,
        },
      }),
  );

  app.get(
    '/v1/track/:trackingCode',
    {
      // The receipt's QR opens this for whoever holds the paper: no personal data in it.
      config: { public: true },
      schema: {
        tags: ['tracking'],
        summary: 'Where a case stands, by the tracking code on its receipt',
        description:
          'Public: the service, the case number, the status, each stage with its department and dates. No name, ID number, subject id, form or reason.',
        params: TrackParams,
        response: { 200: Tracking },
      },
    },
    (request) =>
      trackCase({
        ctx: { db: deps.db, clock: deps.clock },
        definitions: deps.definitions,
        input: { trackingCode: request.params.trackingCode },
      }),
  );
}
