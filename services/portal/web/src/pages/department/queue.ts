import { append, h, replaceChildren } from '../../dom.js';
import { dateTime, lastDay } from '../../format.js';
import { locale } from '../../i18n.js';
import { setTitle } from '../../page.js';
import { QUEUE_VIEWS, type QueueItem, type QueueView, slaState } from './model.js';
import {
  type DepartmentPage,
  departmentName,
  nameIn,
  pageHead,
  row,
  slaBadge,
  statusBadge,
  takeNotice,
} from './shared.js';
import { words } from './words.js';

const PAGE_SIZE = 20;

/** The department's queue in one view, soonest deadline first, a page at a time. */
export function renderQueue(page: DepartmentPage, view: QueueView): void {
  const w = words();
  setTitle(`${w.views[view]} · ${w.title}`);
  const notice = takeNotice();
  const department = h('p', { class: 'dept-name' }, page.session.department);
  const status = h('p', { class: 'queue-status', role: 'status', 'aria-live': 'polite' });
  const list = h('ol', { class: 'queue-list', 'aria-labelledby': 'queue-view-title' });
  const more = h(
    'button',
    { type: 'button', class: 'secondary load-more', hidden: true },
    w.loadMore,
  );
  const container = h(
    'section',
    { class: 'queue', 'data-view': view, 'aria-labelledby': 'queue-view-title' },
    h('h2', { id: 'queue-view-title' }, w.views[view]),
    status,
    list,
    more,
  );
  replaceChildren(
    page.ctx.main,
    ...pageHead(page, w.title),
    department,
    notice
      ? h(
          'div',
          { class: 'notice notice-done', role: 'status', 'data-notice': 'decided' },
          h('p', {}, notice.text),
          h(
            'p',
            {},
            h('a', { href: `/department?case=${notice.caseId}`, 'data-link': true }, w.openCase),
          ),
        )
      : null,
    h('p', { class: 'hint' }, w.intro),
    viewNav(view),
    container,
    h('p', { class: 'note' }, w.timesNote),
  );

  void page.departments.then((names) => {
    department.textContent = departmentName(names, page.session.department);
  });

  let shown = 0;
  let cursor: string | undefined;
  const load = async () => {
    more.disabled = true;
    status.textContent = w.loading;
    container.dataset.state = 'loading';
    try {
      const res = await page.api.workflow.GET('/v1/departments/{code}/tasks', {
        params: {
          path: { code: page.session.department },
          query: { view, limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) },
        },
      });
      if (!container.isConnected) return;
      if (res.response.status === 401) {
        page.sessionEnded();
        return;
      }
      if (!res.data) {
        status.textContent = res.response.status === 403 ? w.forbidden : w.failed;
        container.dataset.state = 'failed';
        return;
      }
      const now = Date.now();
      const rows = res.data.items.map((item) => queueRow(item, now));
      const first = rows[0]?.querySelector('a');
      append(list, ...rows);
      shown += rows.length;
      cursor = res.data.nextCursor ?? undefined;
      more.hidden = cursor === undefined;
      status.textContent = shown === 0 ? w.empty : w.shown(shown);
      container.dataset.state = 'loaded';
      // After "load more" the keyboard goes on to the first new row, not back to the top.
      if (shown > rows.length) first?.focus();
    } catch {
      if (!container.isConnected) return;
      status.textContent = w.failed;
      container.dataset.state = 'failed';
    } finally {
      more.disabled = false;
    }
  };
  more.addEventListener('click', () => void load());
  void load();
}

function viewNav(current: QueueView): HTMLElement {
  const w = words();
  return h(
    'nav',
    { class: 'queue-views', 'aria-label': w.viewsLabel },
    h(
      'ul',
      {},
      ...QUEUE_VIEWS.map((view) =>
        h(
          'li',
          {},
          h(
            'a',
            {
              href: view === 'open' ? '/department' : `/department?view=${view}`,
              'data-link': true,
              'data-view': view,
              'aria-current': view === current ? 'page' : false,
            },
            w.views[view],
          ),
        ),
      ),
    ),
  );
}

function queueRow(item: QueueItem, now: number): HTMLElement {
  const w = words();
  const lang = locale();
  const sla = slaState(item, now);
  return h(
    'li',
    {
      class: 'queue-item',
      'data-task': item.id,
      'data-case': item.case.id,
      'data-sla': sla ?? false,
      'data-status': item.status,
    },
    h(
      'div',
      { class: 'queue-head' },
      h(
        'h3',
        {},
        h(
          'a',
          { href: `/department?case=${item.case.id}`, 'data-link': true, 'data-field': 'number' },
          item.case.number,
        ),
      ),
      sla ? slaBadge(sla) : statusBadge(item.status, w.taskStatuses),
    ),
    h(
      'dl',
      { class: 'facts' },
      ...row(w.service, h('span', { 'data-field': 'service' }, nameIn(item.case.service.name))),
      ...row(w.step, h('span', { 'data-field': 'step' }, nameIn(item.name))),
      ...(item.decidedAt
        ? [
            ...row(w.decision, statusBadge(item.status, w.taskStatuses)),
            ...row(
              w.decided,
              h('span', { 'data-field': 'decided' }, dateTime(item.decidedAt, lang)),
            ),
          ]
        : row(
            w.due,
            h(
              'span',
              { 'data-field': 'due' },
              item.dueAt ? w.dueBy(lastDay(item.dueAt, lang)) : w.notYet,
            ),
          )),
    ),
  );
}
