import type { DepartmentName } from '../../api.js';
import { h, replaceChildren } from '../../dom.js';
import { dateTime, lastDay } from '../../format.js';
import { locale } from '../../i18n.js';
import { setTitle } from '../../page.js';
import { type CaseTask, type CaseView, slaState } from './model.js';
import { renderReadRecords } from './records.js';
import {
  type DepartmentPage,
  departmentName,
  leaveNotice,
  nameIn,
  pageHead,
  problemCode,
  recordTypes,
  row,
  slaBadge,
  statusBadge,
  valueText,
} from './shared.js';
import { words } from './words.js';

/** What the officer had typed when the case had to be reloaded under them. */
interface Draft {
  readonly taskId: string;
  readonly decision: string | undefined;
  readonly reason: string;
}

interface Loaded {
  readonly view: CaseView;
  /** The case's ETag as read: decisions send it back in If-Match. */
  readonly etag: string;
}

/** One case: its form, records and steps; the officer's own live steps can be worked here. */
export function renderCase(
  page: DepartmentPage,
  caseId: string | undefined,
  alert?: string,
  draft?: Draft,
): void {
  const w = words();
  setTitle(w.caseTitle('').trim());
  const body = h('div', { class: 'case-body', 'data-state': 'loading' }, h('p', {}, w.loading));
  const [heading, bar] = pageHead(page, w.caseTitle('').trim());
  const alertBox = alert
    ? h('p', { class: 'notice notice-failed', role: 'alert', tabindex: -1 }, alert)
    : null;
  replaceChildren(
    page.ctx.main,
    h(
      'p',
      { class: 'back' },
      h('a', { href: '/department', 'data-link': true }, `← ${w.backToQueue}`),
    ),
    heading,
    bar,
    alertBox,
    body,
  );
  alertBox?.focus();
  if (caseId === undefined) {
    showFailure(body, w.caseNotFound);
    return;
  }
  void loadCase(page, caseId).then(async (loaded) => {
    if (!body.isConnected) return;
    if (loaded === 'unauthorized') {
      page.sessionEnded();
      return;
    }
    if (loaded === 'not_found' || loaded === 'failed') {
      showFailure(body, loaded === 'not_found' ? w.caseNotFound : w.failed);
      return;
    }
    const [names, types] = await Promise.all([page.departments, recordTypes(page.ctx)]);
    if (!body.isConnected) return;
    const title = w.caseTitle(loaded.view.number);
    setTitle(title);
    if (heading) heading.textContent = title;
    body.dataset.state = 'loaded';
    replaceChildren(body, ...caseSections(page, loaded, names, types, draft));
  });
}

function showFailure(body: HTMLElement, text: string): void {
  body.dataset.state = 'failed';
  replaceChildren(body, h('p', { class: 'notice notice-failed' }, text));
}

async function loadCase(
  page: DepartmentPage,
  caseId: string,
): Promise<Loaded | 'not_found' | 'unauthorized' | 'failed'> {
  try {
    const res = await page.api.workflow.GET('/v1/cases/{id}', {
      params: { path: { id: caseId } },
    });
    const etag = res.response.headers.get('etag');
    if (res.data && etag) return { view: res.data, etag };
    if (res.response.status === 401) return 'unauthorized';
    return res.response.status === 404 || res.response.status === 403 ? 'not_found' : 'failed';
  } catch {
    return 'failed';
  }
}

function caseSections(
  page: DepartmentPage,
  loaded: Loaded,
  names: Map<string, DepartmentName>,
  types: Map<string, DepartmentName>,
  draft: Draft | undefined,
): HTMLElement[] {
  const w = words();
  const lang = locale();
  const c = loaded.view;
  const department = (code: string | null) => (code ? departmentName(names, code) : w.notYet);
  const typeName = (code: string) => {
    const name = types.get(code);
    return name ? nameIn(name) : code;
  };
  const stepName = (id: string) => {
    const task = c.tasks.find((t) => t.step === id);
    return task ? nameIn(task.name) : id;
  };
  const formEntries = Object.entries(c.form);
  return [
    h(
      'section',
      { class: 'case', 'aria-labelledby': 'case-service' },
      h('h2', { id: 'case-service', 'data-field': 'service' }, nameIn(c.service.name)),
      h(
        'dl',
        { class: 'facts' },
        ...row(w.caseNumber, h('span', { 'data-field': 'number' }, c.number)),
        ...row(w.caseStatus, statusBadge(c.status, w.caseStatuses)),
        ...row(w.submitted, dateTime(c.submittedAt, lang)),
        ...(c.completedAt
          ? row(w.completed, dateTime(c.completedAt, lang))
          : row(w.caseDue, c.dueAt ? w.dueBy(lastDay(c.dueAt, lang)) : w.notYet)),
      ),
      c.paused ? h('p', { class: 'hint' }, w.paused) : null,
    ),
    h(
      'section',
      { class: 'case-form', 'aria-labelledby': 'form-title' },
      h('h2', { id: 'form-title' }, w.formTitle),
      formEntries.length === 0
        ? h('p', {}, w.formEmpty)
        : h(
            'dl',
            { class: 'facts' },
            ...formEntries.flatMap(([key, value]) =>
              row(key, h('span', { 'data-form-field': key }, valueText(value))),
            ),
          ),
    ),
    h(
      'section',
      { class: 'case-records', 'aria-labelledby': 'records-title' },
      h('h2', { id: 'records-title' }, w.recordsTitle),
      c.records.pulled ? null : h('p', { class: 'hint' }, w.recordsNotPulled),
      h('h3', {}, w.referencesTitle),
      c.records.references.length === 0
        ? h('p', {}, w.none)
        : h(
            'ul',
            { class: 'record-list' },
            ...c.records.references.map((ref) =>
              h(
                'li',
                { 'data-reference': ref.type },
                h('strong', {}, typeName(ref.type)),
                h(
                  'dl',
                  { class: 'facts' },
                  ...row(w.forStep, stepName(ref.step)),
                  ...row(w.issuer, department(ref.issuerDepartment)),
                  ...row(w.version, String(ref.version)),
                ),
              ),
            ),
          ),
      h('h3', {}, w.missingTitle),
      c.records.missing.length === 0
        ? h('p', {}, w.none)
        : h(
            'ul',
            { class: 'record-list' },
            ...c.records.missing.map((missing) =>
              h(
                'li',
                { 'data-missing': missing.type },
                h('strong', {}, typeName(missing.type)),
                h(
                  'dl',
                  { class: 'facts' },
                  ...row(w.forStep, stepName(missing.step)),
                  ...row(
                    w.issueAt,
                    h('span', { 'data-field': 'issuer' }, department(missing.issuerDepartment)),
                  ),
                ),
              ),
            ),
          ),
    ),
    h(
      'section',
      { class: 'case-steps', 'aria-labelledby': 'steps-title' },
      h('h2', { id: 'steps-title' }, w.stepsTitle),
      h(
        'ol',
        { class: 'stage-list' },
        ...c.tasks.map((task) => taskItem(page, loaded, task, department, typeName, draft)),
      ),
      h('p', { class: 'note' }, w.timesNote),
    ),
  ];
}

function taskItem(
  page: DepartmentPage,
  loaded: Loaded,
  task: CaseTask,
  department: (code: string) => string,
  typeName: (code: string) => string,
  draft: Draft | undefined,
): HTMLElement {
  const w = words();
  const lang = locale();
  const sla = slaState(task, Date.now());
  const mine =
    task.department === page.session.department &&
    (task.status === 'open' || task.status === 'awaiting_information');
  return h(
    'li',
    {
      class: `stage tone-${sla === 'overdue' ? 'refused' : task.status === 'approved' ? 'done' : task.status === 'open' ? 'active' : 'idle'}`,
      'data-step': task.step,
      'data-status': task.status,
    },
    h(
      'div',
      { class: 'stage-head' },
      h('h3', { id: `task-${task.id}` }, nameIn(task.name)),
      h(
        'span',
        { class: 'badges' },
        statusBadge(task.status, w.taskStatuses),
        sla ? slaBadge(sla) : null,
      ),
    ),
    h(
      'dl',
      { class: 'facts' },
      ...row(w.department, department(task.department)),
      ...(task.openedAt ? row(w.opened, dateTime(task.openedAt, lang)) : []),
      ...(task.decidedAt
        ? row(w.decided, dateTime(task.decidedAt, lang))
        : task.dueAt
          ? row(w.due, h('span', { 'data-field': 'due' }, w.dueBy(lastDay(task.dueAt, lang))))
          : []),
      ...(task.reason !== null
        ? row(w.reason, h('span', { class: 'reason', 'data-field': 'reason' }, task.reason))
        : []),
    ),
    mine
      ? h(
          'div',
          { class: 'work-panel', 'aria-labelledby': `work-${task.id}`, role: 'group' },
          h('h4', { id: `work-${task.id}` }, w.yourStep),
          readsRecords(loaded.view, task)
            ? renderReadRecords(page, loaded.view, task, department, typeName)
            : h('p', { class: 'hint', 'data-reads': 'none' }, words().noRecordsForStep),
          task.status === 'open'
            ? decisionForm(page, loaded, task, draft?.taskId === task.id ? draft : undefined)
            : null,
        )
      : null,
  );
}

/**
 * Whether the step reads any record: each record type the service needs is listed for its step,
 * referenced or missing, once the records were pulled. Until then the grant is asked for and
 * workflow says.
 */
function readsRecords(view: CaseView, task: CaseTask): boolean {
  if (!view.records.pulled) return true;
  return [...view.records.references, ...view.records.missing].some((r) => r.step === task.step);
}

const DECISIONS = ['approve', 'reject', 'request_information'] as const;

function decisionForm(
  page: DepartmentPage,
  loaded: Loaded,
  task: CaseTask,
  draft: Draft | undefined,
): HTMLElement {
  const w = words();
  const id = (part: string) => `${part}-${task.id}`;
  const radios = DECISIONS.map((decision) =>
    h('input', {
      type: 'radio',
      name: id('decision'),
      id: id(`decision-${decision}`),
      value: decision,
      checked: draft?.decision === decision,
    }),
  );
  const reason = h('textarea', {
    id: id('reason'),
    name: 'reason',
    rows: 4,
    maxlength: 2000,
    required: true,
    'aria-describedby': id('reason-hint'),
  });
  reason.value = draft?.reason ?? '';
  const error = h('p', { class: 'form-error', role: 'alert', id: id('error') });
  const submit = h('button', { type: 'submit' }, w.submitDecision);
  const legend = h('legend', {}, w.decisionLegend);
  const fieldset = h(
    'fieldset',
    { class: 'decision-choices' },
    legend,
    ...radios.map((radio, i) =>
      h(
        'div',
        { class: 'choice' },
        radio,
        h('label', { for: radio.id }, w.decisions[DECISIONS[i] ?? ''] ?? ''),
      ),
    ),
  );
  const form = h(
    'form',
    { class: 'decision-form', novalidate: true, 'aria-labelledby': id('decide') },
    h('h5', { id: id('decide') }, w.decideTitle),
    fieldset,
    h('label', { for: reason.id }, w.reasonLabel),
    h('p', { class: 'hint', id: id('reason-hint') }, w.reasonHint),
    reason,
    submit,
    error,
  );

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const decision = radios.find((r) => r.checked)?.value as (typeof DECISIONS)[number] | undefined;
    const text = reason.value.trim();
    for (const radio of radios) radio.removeAttribute('aria-invalid');
    reason.removeAttribute('aria-invalid');
    if (decision === undefined) {
      error.textContent = w.chooseDecision;
      radios[0]?.setAttribute('aria-invalid', 'true');
      radios[0]?.focus();
      return;
    }
    if (text === '') {
      error.textContent = w.giveReason;
      reason.setAttribute('aria-invalid', 'true');
      reason.focus();
      return;
    }
    submit.disabled = true;
    error.textContent = w.sending;
    void sendDecision(page, loaded, task, decision, text).then((outcome) => {
      submit.disabled = false;
      if (outcome.kind === 'conflict') {
        renderCase(page, loaded.view.id, w.conflict, {
          taskId: task.id,
          decision,
          reason: reason.value,
        });
      } else if (outcome.kind === 'failed') {
        error.textContent = w.decisionFailed[outcome.code] ?? w.decisionFailed.unavailable ?? '';
        reason.focus();
      }
    });
  });
  return form;
}

type Outcome =
  | { readonly kind: 'done' }
  | { readonly kind: 'conflict' }
  | { readonly kind: 'failed'; readonly code: string };

async function sendDecision(
  page: DepartmentPage,
  loaded: Loaded,
  task: CaseTask,
  decision: (typeof DECISIONS)[number],
  reason: string,
): Promise<Outcome> {
  const w = words();
  try {
    const res = await page.api.workflow.POST('/v1/cases/{id}/tasks/{taskId}/decision', {
      params: {
        path: { id: loaded.view.id, taskId: task.id },
        header: { 'if-match': loaded.etag },
      },
      body: { decision, reason },
    });
    if (res.data) {
      const updated = res.data;
      const decided = updated.tasks.find((t) => t.id === task.id);
      const state = decided ? (w.taskStatuses[decided.status] ?? decided.status) : '';
      leaveNotice({
        text: w.decided_notice(
          updated.number,
          nameIn(task.name),
          state,
          w.caseStatuses[updated.status] ?? updated.status,
        ),
        caseId: updated.id,
      });
      page.ctx.navigate('/department');
      return { kind: 'done' };
    }
    if (res.response.status === 401) {
      page.sessionEnded();
      return { kind: 'done' };
    }
    if (res.response.status === 412) return { kind: 'conflict' };
    return { kind: 'failed', code: problemCode(res.error) };
  } catch {
    return { kind: 'failed', code: 'unavailable' };
  }
}
