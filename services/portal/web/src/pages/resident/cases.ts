import type { WorkflowPaths } from '@tongban/clients';
import { type DepartmentName, departmentNames } from '../../api.js';
import { type Child, h, replaceChildren } from '../../dom.js';
import { dateTime, lastDay } from '../../format.js';
import { locale, t } from '../../i18n.js';
import type { PageContext } from '../../page.js';
import { type ResidentApi, ResidentError, refusal } from './session.js';
import { words } from './words.js';

type MyCase =
  WorkflowPaths['/v1/cases']['get']['responses'][200]['content']['application/json']['items'][number];
type CaseEvent =
  WorkflowPaths['/v1/cases/{id}/events']['get']['responses'][200]['content']['application/json']['items'][number];

/** Dispatched on the "my cases" section to have it read the cases again. */
export const CASES_CHANGED = 'resident-cases-changed';

/** A resident has a handful of cases; the caps only guard against a runaway cursor. */
const MAX_PAGES = 10;

/** The colour family of a status; the status is always also written out in words. */
const TONE: Record<string, string> = {
  approved: 'done',
  rejected: 'refused',
  in_progress: 'active',
  open: 'active',
  awaiting_information: 'waiting',
  waiting: 'idle',
  withdrawn: 'idle',
  cancelled: 'idle',
};
const OPEN = new Set(['in_progress', 'awaiting_information']);

const nameIn = (name: { zh: string; en: string }) => (locale() === 'zh-CN' ? name.zh : name.en);

/** Runs a call and turns a refusal or an unreachable service into a ResidentError. */
async function call<T>(
  request: () => Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const res = await request().catch((cause: unknown) => {
    throw cause instanceof ResidentError ? cause : new ResidentError('unavailable', 0);
  });
  if (res.data === undefined) throw refusal(res);
  return res.data;
}

async function listCases(api: ResidentApi): Promise<MyCase[]> {
  const cases: MyCase[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const data = await call(() =>
      api.workflow.GET('/v1/cases', {
        params: { query: { limit: 100, ...(cursor ? { cursor } : {}) } },
      }),
    );
    cases.push(...data.items);
    cursor = data.nextCursor ?? undefined;
    if (!cursor) break;
  }
  return cases;
}

async function timelineOf(api: ResidentApi, id: string): Promise<CaseEvent[]> {
  const events: CaseEvent[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const data = await call(() =>
      api.workflow.GET('/v1/cases/{id}/events', {
        params: { path: { id }, query: { limit: 200, ...(cursor ? { cursor } : {}) } },
      }),
    );
    events.push(...data.items);
    cursor = data.nextCursor ?? undefined;
    if (!cursor) break;
  }
  return events;
}

/**
 * "My cases": every case of the resident (`GET /v1/cases` with the device's token and proof),
 * each with its stages and its timeline (`GET /v1/cases/{id}/events`, summaries in the page's
 * language), and what the resident can do on it: withdraw while it is open, answer while a
 * department waits on them.
 */
export function myCases(ctx: PageContext, api: ResidentApi): HTMLElement {
  const w = words();
  const list = h('div', { class: 'resident-case-list', 'data-cases-state': 'loading' });
  const announce = h('p', { class: 'resident-announce', role: 'status', tabindex: -1 });
  const section = h(
    'section',
    { class: 'resident-cases', 'aria-labelledby': 'resident-cases-title' },
    h('h2', { id: 'resident-cases-title' }, w.casesTitle),
    announce,
    list,
  );

  const load = async (): Promise<void> => {
    ctx.cache.departments ??= departmentNames(ctx.api);
    try {
      const cases = await listCases(api);
      const timelines = await Promise.all(cases.map((c) => timelineOf(api, c.id)));
      const departments = await ctx.cache.departments;
      if (!list.isConnected) return;
      list.dataset.casesState = cases.length === 0 ? 'none' : 'shown';
      replaceChildren(
        list,
        cases.length === 0
          ? h('p', {}, w.casesNone)
          : h(
              'ol',
              { class: 'resident-cases-items' },
              ...cases.map((c, i) =>
                h('li', {}, caseView(c, timelines[i] ?? [], departments, actions(c))),
              ),
            ),
        cases.length === 0 ? null : h('p', { class: 'note' }, w.timesNote),
      );
    } catch {
      if (!list.isConnected) return;
      list.dataset.casesState = 'failed';
      replaceChildren(list, h('p', { class: 'notice notice-failed' }, w.casesFailed));
    }
  };

  /** After a change: the list read again, and the outcome said where the keyboard now is. */
  const done = async (message: string) => {
    await load();
    announce.textContent = message;
    announce.focus();
  };

  function actions(c: MyCase): HTMLElement | null {
    if (!OPEN.has(c.status)) return null;
    const area = h('div', { class: 'resident-case-actions' });
    const etag = `"${c.id}.v${c.version}"`;
    const failed = (cause: unknown, error: HTMLElement) => {
      const code = cause instanceof ResidentError ? cause.code : 'unavailable';
      if (code === 'version_conflict') {
        void done(w.actionFailed.version_conflict ?? '');
        return;
      }
      error.textContent = w.actionFailed[code] ?? w.actionFailed.unavailable ?? '';
    };

    const withdraw = h('button', { type: 'button', class: 'secondary' }, w.withdraw);
    const withdrawForm = () => {
      const id = `withdraw-${c.id}`;
      const reason = h('textarea', { id, name: 'reason', rows: 2, maxlength: 1000 });
      const error = h('p', { class: 'form-error', role: 'alert' });
      const confirm = h('button', { type: 'submit', class: 'danger' }, w.withdrawConfirm);
      const cancel = h('button', { type: 'button', class: 'secondary' }, w.cancel);
      const form = h(
        'form',
        { class: 'resident-withdraw', 'aria-label': w.withdrawTitle },
        h('label', { for: id }, w.withdrawReason),
        reason,
        h('div', { class: 'button-row' }, confirm, cancel),
        error,
      );
      cancel.addEventListener('click', () => {
        form.replaceWith(withdraw);
        withdraw.focus();
      });
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        confirm.disabled = true;
        const text = reason.value.trim();
        void call(() =>
          api.workflow.POST('/v1/cases/{id}/withdraw', {
            params: { path: { id: c.id }, header: { 'if-match': etag } },
            body: text ? { reason: text } : {},
          }),
        )
          .then(() => done(w.withdrawn))
          .catch((cause: unknown) => failed(cause, error))
          .finally(() => {
            confirm.disabled = false;
          });
      });
      withdraw.replaceWith(form);
      reason.focus();
    };
    withdraw.addEventListener('click', withdrawForm);

    if (c.status === 'awaiting_information') {
      const id = `answer-${c.id}`;
      const message = h('textarea', {
        id,
        name: 'message',
        rows: 3,
        maxlength: 4000,
        required: true,
        'aria-describedby': `${id}-hint`,
      });
      const error = h('p', { class: 'form-error', role: 'alert' });
      const send = h('button', { type: 'submit' }, w.answerSubmit);
      const form = h(
        'form',
        { class: 'resident-answer', 'aria-label': w.answerTitle, novalidate: true },
        h('label', { for: id }, w.answerLabel),
        h('p', { id: `${id}-hint`, class: 'hint' }, w.answerHint),
        message,
        h('div', { class: 'button-row' }, send),
        error,
      );
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        const text = message.value.trim();
        if (!text) {
          error.textContent = w.answerEmpty;
          message.focus();
          return;
        }
        send.disabled = true;
        void call(() =>
          api.workflow.POST('/v1/cases/{id}/information', {
            params: { path: { id: c.id }, header: { 'if-match': etag } },
            body: { message: text },
          }),
        )
          .then(() => done(w.answered))
          .catch((cause: unknown) => failed(cause, error))
          .finally(() => {
            send.disabled = false;
          });
      });
      area.append(form);
    }
    area.append(withdraw);
    return area;
  }

  // Another part of the page (a new application) asks for the list to be read again.
  section.addEventListener(CASES_CHANGED, () => void load());
  replaceChildren(list, h('p', {}, w.casesLoading));
  void load();
  return section;
}

function badge(state: string, labels: Record<string, string>): HTMLElement {
  return h(
    'span',
    { class: `badge tone-${TONE[state] ?? 'idle'}`, 'data-status': state },
    labels[state] ?? state,
  );
}

function row(term: string, ...value: Child[]): HTMLElement[] {
  return [h('dt', {}, term), h('dd', {}, ...value)];
}

function caseView(
  c: MyCase,
  timeline: readonly CaseEvent[],
  departments: Map<string, DepartmentName>,
  actions: HTMLElement | null,
): HTMLElement {
  const w = words();
  const m = t();
  const lang = locale();
  const department = (code: string) => {
    const name = departments.get(code);
    return name ? nameIn(name) : code;
  };
  const titleId = `case-${c.id}`;
  return h(
    'article',
    {
      class: 'case resident-case',
      'aria-labelledby': titleId,
      'data-case': c.number,
      'data-case-id': c.id,
      'data-status': c.status,
    },
    h('h3', { id: titleId, 'data-field': 'service' }, nameIn(c.service.name)),
    h(
      'dl',
      { class: 'facts' },
      ...row(w.caseNumber, h('span', { 'data-field': 'number' }, c.number)),
      ...row(w.caseStatus, badge(c.status, m.caseStatuses)),
      ...row(
        w.caseSubmitted,
        dateTime(c.submittedAt, lang),
        w.caseSubmittedAt(
          c.submittedBy.kind === 'staff' && c.submittedBy.department
            ? department(c.submittedBy.department)
            : null,
        ),
      ),
      ...(c.completedAt
        ? row(w.caseCompleted, dateTime(c.completedAt, lang))
        : c.dueAt
          ? row(w.caseDue, m.dueBy(lastDay(c.dueAt, lang)), c.paused ? w.clockStopped : '')
          : []),
      ...row(
        w.trackingCode,
        h('a', { href: `/track/${c.trackingCode}`, 'data-link': true }, c.trackingCode),
      ),
    ),
    h('h4', {}, w.stepsTitle),
    h(
      'ol',
      { class: 'resident-steps' },
      ...c.tasks.map((task) =>
        h(
          'li',
          { 'data-status': task.status, 'data-department': task.department },
          h('span', { class: 'resident-step-name' }, nameIn(task.name)),
          ' ',
          badge(task.status, m.stageStatuses),
          task.overdue && !task.decidedAt
            ? h('span', { class: 'badge tone-refused' }, w.overdue)
            : null,
          h(
            'span',
            { class: 'resident-step-facts' },
            department(task.department),
            task.decidedAt
              ? ` · ${dateTime(task.decidedAt, lang)}`
              : task.dueAt && task.status !== 'cancelled'
                ? ` · ${m.dueBy(lastDay(task.dueAt, lang))}`
                : '',
          ),
          task.status === 'awaiting_information' && task.reason
            ? h(
                'span',
                { class: 'resident-step-asked', 'data-field': 'asked' },
                w.asked,
                task.reason,
              )
            : null,
        ),
      ),
    ),
    actions,
    h('h4', {}, w.timelineTitle),
    h(
      'ol',
      { class: 'resident-timeline', 'data-field': 'timeline' },
      ...timeline.map((e) =>
        h(
          'li',
          { 'data-type': e.type },
          h('time', { datetime: e.occurredAt }, dateTime(e.occurredAt, lang)),
          h('span', { class: 'resident-event' }, lang === 'zh-CN' ? e.summary.zh : e.summary.en),
          e.reason ? h('span', { class: 'resident-event-reason' }, e.reason) : null,
        ),
      ),
    ),
  );
}
