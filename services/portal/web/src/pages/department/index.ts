import { departmentNames } from '../../api.js';
import { h, replaceChildren } from '../../dom.js';
import type { PageContext } from '../../page.js';
import { setTitle } from '../../page.js';
import {
  currentStaff,
  renderSignIn,
  type StaffSession,
  signOut,
  staffApi,
} from '../../staff-session.js';
import { renderCase } from './case.js';
import { queueView } from './model.js';
import { renderQueue } from './queue.js';
import type { DepartmentPage } from './shared.js';
import { words } from './words.js';

// The page's own stylesheet, linked the first time the page is drawn. Vite emits the file as an
// asset from this `new URL(…, import.meta.url)`; a bare `import './department.css'` would be
// simpler, but TypeScript 7 refuses a side-effect import it cannot type and ignores the option
// that would let a `.d.css.ts` beside it do so.
const STYLESHEET = new URL('./department.css', import.meta.url).href;

function linkStylesheet(): void {
  if (document.querySelector('link[data-page-style="department"]')) return;
  document.head.append(
    h('link', { rel: 'stylesheet', href: STYLESHEET, 'data-page-style': 'department' }),
  );
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `/department`: a department officer's queue (`?view=`), and one case (`?case=<id>`) with the
 * officer's own steps to read records for and decide. Staff only: signed out, it is the sign-in
 * form. Everything is asked with the officer's token; each service decides what they may see.
 */
export function renderDepartment(ctx: PageContext, ended = false): void {
  linkStylesheet();
  ctx.main.classList.add('dept-page');
  const session = currentStaff();
  if (session === undefined) {
    renderSignedOut(ctx, ended);
    return;
  }
  const page = departmentPage(ctx, session);
  const params = new URLSearchParams(window.location.search);
  const caseId = params.get('case');
  if (caseId !== null) {
    renderCase(page, UUID.test(caseId) ? caseId : undefined);
  } else {
    renderQueue(page, queueView(params.get('view')));
  }
}

function departmentPage(ctx: PageContext, session: StaffSession): DepartmentPage {
  ctx.cache.departments ??= departmentNames(ctx.api);
  return {
    ctx,
    session,
    api: staffApi(session),
    departments: ctx.cache.departments,
    sessionEnded: () => {
      signOut();
      renderDepartment(ctx, true);
    },
    redraw: () => renderDepartment(ctx),
  };
}

function renderSignedOut(ctx: PageContext, ended: boolean): void {
  const w = words();
  setTitle(w.title);
  const form = h('div', { class: 'dept-sign-in' });
  replaceChildren(
    ctx.main,
    h('h1', { tabindex: -1 }, w.title),
    ended ? h('p', { class: 'notice', role: 'alert' }, w.sessionEnded) : null,
    form,
  );
  renderSignIn(ctx, form, () => {
    renderDepartment(ctx);
    ctx.main.querySelector<HTMLElement>('h1')?.focus();
  });
}
