import {
  type DepartmentName,
  departmentNames,
  normaliseTrackingCode,
  type Tracking,
  type TrackResult,
  trackCase,
} from '../api.js';
import { type Child, h, replaceChildren } from '../dom.js';
import { dateTime, lastDay } from '../format.js';
import { locale, type Messages, t } from '../i18n.js';
import { type PageContext, setTitle } from '../page.js';
import { trackForm } from './track-form.js';

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

/**
 * `/track/:code`: where a case stands, for whoever holds its receipt. It asks workflow's public
 * tracking route and the public department directory, and nothing else: no sign-in, no name,
 * no personal data.
 */
export function renderTrack(ctx: PageContext, rawCode: string): void {
  const m = t();
  setTitle(m.trackTitle);
  const status = h('div', { class: 'track-result', role: 'status', 'aria-live': 'polite' });
  replaceChildren(
    ctx.main,
    h('h1', { tabindex: -1 }, m.trackTitle),
    h('p', { class: 'privacy' }, m.trackPrivacy),
    status,
    h(
      'section',
      { class: 'track-again', 'aria-labelledby': 'again-title' },
      h('h2', { id: 'again-title' }, m.trackAnother),
      trackForm(ctx, 'again'),
    ),
  );

  const code = normaliseTrackingCode(rawCode);
  if (code === undefined) {
    showMessage(status, 'malformed', m.trackMalformed);
    return;
  }
  status.dataset.trackState = 'loading';
  replaceChildren(status, h('p', {}, m.trackLoading));

  const cached = ctx.cache.tracking.get(code);
  const result = cached ? Promise.resolve(cached) : trackCase(ctx.api, code);
  ctx.cache.departments ??= departmentNames(ctx.api);
  void Promise.all([result, ctx.cache.departments]).then(([found, departments]) => {
    // The reader may have moved on (or switched language) while the answer was on its way.
    if (!status.isConnected) return;
    show(ctx, status, code, found, departments);
  });
}

function show(
  ctx: PageContext,
  status: HTMLElement,
  code: string,
  result: TrackResult,
  departments: Map<string, DepartmentName>,
): void {
  const m = t();
  if (result.kind === 'found') ctx.cache.tracking.set(code, result);
  if (result.kind === 'found') {
    status.dataset.trackState = 'found';
    replaceChildren(status, ...caseView(result.tracking, departments, m));
  } else if (result.kind === 'not_found') {
    showMessage(status, 'not_found', m.trackNotFound);
  } else {
    showMessage(status, 'failed', m.trackFailed);
  }
}

function showMessage(status: HTMLElement, state: string, text: string): void {
  status.dataset.trackState = state;
  replaceChildren(status, h('p', { class: `notice notice-${state}` }, text));
}

const nameIn = (name: { zh: string; en: string }) => (locale() === 'zh-CN' ? name.zh : name.en);

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
  tracking: Tracking,
  departments: Map<string, DepartmentName>,
  m: Messages,
): HTMLElement[] {
  const lang = locale();
  const when = (iso: string | null) => (iso ? dateTime(iso, lang) : m.notYet);
  const due = (iso: string | null) => (iso ? m.dueBy(lastDay(iso, lang)) : m.notYet);
  const department = (code: string) => {
    const name = departments.get(code);
    return name ? nameIn(name) : code;
  };
  return [
    h(
      'section',
      { class: 'case', 'aria-labelledby': 'case-service' },
      h('h2', { id: 'case-service', 'data-field': 'service' }, nameIn(tracking.service.name)),
      h(
        'dl',
        { class: 'facts' },
        ...row(m.caseNumber, h('span', { 'data-field': 'number' }, tracking.number)),
        ...row(m.caseStatus, badge(tracking.status, m.caseStatuses)),
        ...row(
          m.caseSubmitted,
          h('span', { 'data-field': 'submitted' }, when(tracking.submittedAt)),
        ),
        ...(tracking.completedAt
          ? row(
              m.caseCompleted,
              h('span', { 'data-field': 'completed' }, when(tracking.completedAt)),
            )
          : row(m.caseDue, h('span', { 'data-field': 'due' }, due(tracking.dueAt)))),
      ),
    ),
    h(
      'section',
      { class: 'stages', 'aria-labelledby': 'stages-title' },
      h('h2', { id: 'stages-title' }, m.stagesTitle),
      h(
        'ol',
        { class: 'stage-list' },
        ...tracking.stages.map((stage) =>
          h(
            'li',
            { class: `stage tone-${TONE[stage.status] ?? 'idle'}`, 'data-status': stage.status },
            h(
              'div',
              { class: 'stage-head' },
              h('h3', {}, nameIn(stage.name)),
              badge(stage.status, m.stageStatuses),
            ),
            h(
              'dl',
              { class: 'facts' },
              ...row(
                m.stageDepartment,
                h('span', { 'data-field': 'department' }, department(stage.department)),
              ),
              ...(stage.openedAt ? row(m.stageOpened, when(stage.openedAt)) : []),
              ...(stage.decidedAt
                ? row(m.stageDecided, when(stage.decidedAt))
                : stage.dueAt
                  ? row(m.stageDue, due(stage.dueAt))
                  : []),
            ),
          ),
        ),
      ),
    ),
    h('p', { class: 'note' }, m.timesNote),
  ];
}
