import { h, replaceChildren } from './dom.js';
import { applyLocale, otherLocale, setLocale, t } from './i18n.js';

export interface Shell {
  /** The element each page renders into. */
  readonly main: HTMLElement;
}

/**
 * The frame around every page: skip link, site name, navigation and the language switch. Drawn
 * again on a language change, together with the page.
 */
export function renderShell(root: HTMLElement, onLocaleChange: () => void): Shell {
  applyLocale();
  const m = t();
  const main = h('main', { id: 'main', tabindex: -1 });
  const switchButton = h(
    'button',
    {
      type: 'button',
      class: 'locale-switch',
      lang: otherLocale(),
      'aria-label': m.switchToLabel,
      'data-locale': otherLocale(),
    },
    m.switchTo,
  );
  switchButton.addEventListener('click', () => {
    setLocale(otherLocale());
    onLocaleChange();
  });
  replaceChildren(
    root,
    h('a', { class: 'skip-link', href: '#main' }, m.skipToMain),
    h(
      'header',
      { class: 'site-header' },
      h(
        'div',
        { class: 'site-header-inner' },
        h(
          'p',
          { class: 'site-name' },
          h('a', { href: '/', 'data-link': true }, m.siteName),
          h('span', { class: 'tagline' }, m.tagline),
        ),
        h(
          'nav',
          { 'aria-label': m.navLabel },
          h(
            'ul',
            {},
            h('li', {}, h('a', { href: '/', 'data-link': true }, m.navHome)),
            h('li', {}, h('a', { href: '/#track', 'data-link': true }, m.navTrack)),
          ),
        ),
        switchButton,
      ),
    ),
    main,
  );
  return { main };
}
