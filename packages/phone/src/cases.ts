import { createWorkflowClient, type WorkflowClient, type WorkflowPaths } from '@tongban/clients';
import { makeProof, type ProofKey } from './proof.js';
import { boundedFetch, normaliseUrl, PhoneError, type PhoneIo, refused } from './support.js';

/** Workflow's own address in the demo; one of its default `WORKFLOW_PUBLIC_URLS`. */
export const DEFAULT_WORKFLOW_URL = 'http://127.0.0.1:3002';

/**
 * The city's time zone, as workflow's working-day calendar counts deadlines in it: a task due
 * "2026-03-05" is due at 24:00 of that day in Shanghai, whatever zone the terminal is in.
 */
export const CITY_TIME_ZONE = 'Asia/Shanghai';

/** A closed case is shown with its timeline for this long after it closed. */
export const RECENT_DAYS = 30;

const CASE_PAGE_LIMIT = 100;
const EVENT_PAGE_LIMIT = 200;
/** 50 pages of 100 cases, 50 of 200 events: far beyond any resident; a server that never stops paging is refused. */
const MAX_PAGES = 50;

export type MyCase =
  WorkflowPaths['/v1/cases']['get']['responses'][200]['content']['application/json']['items'][number];
export type CaseEvent =
  WorkflowPaths['/v1/cases/{id}/events']['get']['responses'][200]['content']['application/json']['items'][number];

/** What the phone holds to call workflow as the resident: a DPoP-bound token and its device key. */
export interface WorkflowSession {
  /** Workflow's base URL as it knows itself (one of `WORKFLOW_PUBLIC_URLS`): every proof names it. */
  readonly workflowUrl: string;
  readonly key: ProofKey;
  readonly accessToken: string;
  /** `DPoP <token>`, as identity's token type says. */
  readonly authorization: string;
}

export interface CaseReport {
  readonly case: MyCase;
  /** The case's events in order; null for a case closed more than `RECENT_DAYS` ago (not fetched). */
  readonly timeline: readonly CaseEvent[] | null;
}

const OPEN_STATUSES = new Set(['in_progress', 'awaiting_information']);

/** Open, or closed within `RECENT_DAYS` of `now`: the cases whose timeline the resident is shown. */
export function isOpenOrRecent(c: MyCase, now: Date): boolean {
  if (OPEN_STATUSES.has(c.status)) return true;
  const closed = Date.parse(c.completedAt ?? c.updatedAt);
  return now.getTime() - closed <= RECENT_DAYS * 86_400_000;
}

function workflowClient(baseUrl: string, io: PhoneIo): WorkflowClient {
  return createWorkflowClient({ baseUrl, fetch: boundedFetch(io, 'workflow', baseUrl) });
}

/** `Authorization` and a fresh proof naming `path` on workflow's public URL, bound to the token. */
async function residentHeaders(s: WorkflowSession, method: string, path: string, io: PhoneIo) {
  return {
    authorization: s.authorization,
    dpop: await makeProof(s.key, {
      method,
      url: `${s.workflowUrl}${path}`,
      now: io.now(),
      accessToken: s.accessToken,
    }),
  };
}

/**
 * Every case of the resident, newest first (`GET /v1/cases`), and the timeline of each open or
 * recent one (`GET /v1/cases/{id}/events`), a fresh proof per request.
 */
export async function listMyCases(session: WorkflowSession, io: PhoneIo): Promise<CaseReport[]> {
  const s = { ...session, workflowUrl: normaliseUrl(session.workflowUrl, '--workflow') };
  const workflow = workflowClient(s.workflowUrl, io);
  const cases: MyCase[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    if (++pages > MAX_PAGES)
      throw new PhoneError('workflow listed too many cases; stopped reading');
    const res = await workflow.GET('/v1/cases', {
      params: {
        query: { limit: CASE_PAGE_LIMIT, ...(cursor === undefined ? {} : { cursor }) },
      },
      headers: await residentHeaders(s, 'GET', '/v1/cases', io),
    });
    if (!res.data) throw refused('workflow', 'the list of cases', res);
    cases.push(...res.data.items);
    cursor = res.data.nextCursor ?? undefined;
  } while (cursor !== undefined);

  const now = io.now();
  const reports: CaseReport[] = [];
  for (const c of cases) {
    reports.push({
      case: c,
      timeline: isOpenOrRecent(c, now) ? await timelineOf(workflow, s, c, io) : null,
    });
  }
  return reports;
}

async function timelineOf(
  workflow: WorkflowClient,
  s: WorkflowSession,
  c: MyCase,
  io: PhoneIo,
): Promise<CaseEvent[]> {
  const path = `/v1/cases/${c.id}/events`;
  const events: CaseEvent[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    if (++pages > MAX_PAGES) {
      throw new PhoneError(`workflow listed too many events of case ${c.number}; stopped reading`);
    }
    const res = await workflow.GET('/v1/cases/{id}/events', {
      params: {
        path: { id: c.id },
        query: { limit: EVENT_PAGE_LIMIT, ...(cursor === undefined ? {} : { cursor }) },
      },
      headers: await residentHeaders(s, 'GET', path, io),
    });
    if (!res.data) throw refused('workflow', `the timeline of case ${c.number}`, res);
    events.push(...res.data.items);
    cursor = res.data.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return events;
}

/** Withdraws the resident's application (`POST /v1/cases/{id}/withdraw`). */
export async function withdrawMyCase(
  session: WorkflowSession,
  input: { readonly caseId: string; readonly reason?: string },
  io: PhoneIo,
): Promise<MyCase> {
  const s = { ...session, workflowUrl: normaliseUrl(session.workflowUrl, '--workflow') };
  const path = `/v1/cases/${input.caseId}/withdraw`;
  const res = await workflowClient(s.workflowUrl, io).POST('/v1/cases/{id}/withdraw', {
    params: { path: { id: input.caseId } },
    body: input.reason === undefined ? {} : { reason: input.reason },
    headers: await residentHeaders(s, 'POST', path, io),
  });
  if (!res.data) throw refused('workflow', 'the withdrawal', res);
  return res.data;
}

/** Answers a department's request for information (`POST /v1/cases/{id}/information`). */
export async function answerMyCase(
  session: WorkflowSession,
  input: { readonly caseId: string; readonly message: string },
  io: PhoneIo,
): Promise<MyCase> {
  const s = { ...session, workflowUrl: normaliseUrl(session.workflowUrl, '--workflow') };
  const path = `/v1/cases/${input.caseId}/information`;
  const res = await workflowClient(s.workflowUrl, io).POST('/v1/cases/{id}/information', {
    params: { path: { id: input.caseId } },
    body: { message: input.message },
    headers: await residentHeaders(s, 'POST', path, io),
  });
  if (!res.data) throw refused('workflow', 'the answer', res);
  return res.data;
}

const CASE_STATUS: Record<string, string> = {
  in_progress: '办理中 in progress',
  awaiting_information: '待补充材料 waiting for your information',
  approved: '已办结：准予办理 approved',
  rejected: '已办结：不予办理 refused',
  withdrawn: '已撤回 withdrawn',
};

const TASK_STATUS: Record<string, string> = {
  waiting: '未开始 not started',
  open: '办理中 in progress',
  awaiting_information: '待补充材料 waiting for you',
  approved: '已通过 approved',
  rejected: '不予通过 refused',
  cancelled: '已取消 cancelled',
};

const local = (at: string, parts: Intl.DateTimeFormatOptions) =>
  new Intl.DateTimeFormat('en-CA', { timeZone: CITY_TIME_ZONE, hourCycle: 'h23', ...parts })
    .format(new Date(at))
    .replace(',', '');

/** `2026-03-02 09:05`, city time. */
export const localTime = (at: string) =>
  local(at, {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  });

/** The last day allowed: a deadline is 24:00 city time of that day, i.e. the next day's 00:00. */
export const lastDay = (dueAt: string) =>
  local(new Date(Date.parse(dueAt) - 1).toISOString(), {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  });

function taskLine(t: MyCase['tasks'][number]): string {
  const status = TASK_STATUS[t.status] ?? t.status;
  const when =
    t.decidedAt !== null
      ? ` ${localTime(t.decidedAt)}`
      : t.dueAt !== null
        ? `, due ${lastDay(t.dueAt)}${t.paused ? ' (clock stopped)' : ''}${t.overdue ? ' OVERDUE' : ''}`
        : '';
  const asked = t.status === 'awaiting_information' && t.reason !== null ? ` — ${t.reason}` : '';
  return `    ${t.name.zh} ${t.name.en} [${t.department}]: ${status}${when}${asked}`;
}

function eventLine(e: CaseEvent): string {
  const reason = e.reason === null ? '' : ` — ${e.reason}`;
  return `    ${localTime(e.occurredAt)}  ${e.summary.zh} / ${e.summary.en}${reason}`;
}

/** What `tongban-phone cases` prints: each case, its steps, then the timeline of open or recent ones. */
export function formatCases(reports: readonly CaseReport[]): string[] {
  if (reports.length === 0) return ['no cases yet'];
  const lines: string[] = [`times are ${CITY_TIME_ZONE}`];
  for (const { case: c, timeline } of reports) {
    const due =
      c.completedAt !== null
        ? `, closed ${localTime(c.completedAt)}`
        : c.dueAt !== null
          ? `, due by ${lastDay(c.dueAt)}${c.paused ? ' (clock stopped)' : ''}`
          : '';
    lines.push('');
    lines.push(`${c.number}  ${c.service.name.zh} ${c.service.name.en}`);
    lines.push(`  ${CASE_STATUS[c.status] ?? c.status}${due}`);
    lines.push(
      `  submitted ${localTime(c.submittedAt)}${c.submittedBy.kind === 'staff' && c.submittedBy.department !== null ? ` at the ${c.submittedBy.department} counter` : ' by you'}; tracking code ${c.trackingCode}; case id ${c.id}`,
    );
    lines.push('  steps:');
    for (const t of c.tasks) lines.push(taskLine(t));
    if (timeline !== null) {
      lines.push('  timeline:');
      for (const e of timeline) lines.push(eventLine(e));
    }
  }
  return lines;
}
