import { h, replaceChildren } from '../dom.js';
import { t } from '../i18n.js';
import { type PageContext, setTitle } from '../page.js';

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
