import { h, replaceChildren } from '../dom.js';
import { t } from '../i18n.js';
import { type PageContext, setTitle } from '../page.js';

/** The staff and resident pages are not built yet: say so plainly rather than show a shell. */
export function renderNotBuilt(
  ctx: PageContext,
  page: 'resident' | 'counter' | 'department',
): void {
  const m = t();
  const name = { resident: m.pageResident, counter: m.pageCounter, department: m.pageDepartment }[
    page
  ];
  const title = m.notBuiltTitle(name);
  setTitle(title);
  replaceChildren(
    ctx.main,
    h('h1', { tabindex: -1, 'data-page': 'not-built' }, title),
    h('p', {}, m.notBuiltBody),
    h('p', {}, h('a', { href: '/', 'data-link': true }, m.navHome)),
  );
}

export function renderNotFound(ctx: PageContext): void {
  const m = t();
  setTitle(m.notFoundTitle);
  replaceChildren(
    ctx.main,
    h('h1', { tabindex: -1 }, m.notFoundTitle),
    h('p', {}, m.notFoundBody),
    h('p', {}, h('a', { href: '/', 'data-link': true }, m.navHome)),
  );
}
