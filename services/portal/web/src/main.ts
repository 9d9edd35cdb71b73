import { createApi } from './api.js';
import { renderShell } from './layout.js';
import type { PageContext } from './page.js';
import { renderDepartment } from './pages/department/index.js';
import { renderHome } from './pages/home.js';
import { renderNotFound } from './pages/other.js';
import { renderStaff } from './pages/staff/staff.js';
import { renderTrack } from './pages/track.js';

type Route =
  | { readonly page: 'home' }
  | { readonly page: 'track'; readonly code: string }
  | { readonly page: 'resident' | 'counter' | 'department' }
  | { readonly page: 'staff' }
  | { readonly page: 'not-found' };

/** The page for a path; the portal serves this same shell for each of them. */
export function route(pathname: string): Route {
  if (pathname === '/' || pathname === '/index.html') return { page: 'home' };
  const track = /^\/track\/([^/]*)\/?$/.exec(pathname);
  if (track) {
    let code: string;
    try {
      code = decodeURIComponent(track[1] ?? '');
    } catch {
      code = '';
    }
    return { page: 'track', code };
  }
  if (/^\/staff\/?$/.test(pathname)) return { page: 'staff' };
  const section = /^\/(resident|counter|department)\/?$/.exec(pathname)?.[1];
  if (section === 'resident' || section === 'counter' || section === 'department') {
    return { page: section };
  }
  return { page: 'not-found' };
}

function start(root: HTMLElement): void {
  const api = createApi(window.location.origin);
  const cache: PageContext['cache'] = { tracking: new Map() };

  const draw = (reason: 'load' | 'navigate' | 'locale') => {
    const { main } = renderShell(root, () => draw('locale'));
    const ctx: PageContext = { main, api, navigate, cache };
    const current = route(window.location.pathname);
    switch (current.page) {
      case 'home':
        renderHome(ctx);
        break;
      case 'track':
        renderTrack(ctx, current.code);
        break;
      case 'resident':
        // Its own chunk: the key, proof and QR code stay off the other pages.
        void import('./pages/resident/resident.js').then((page) => page.renderResident(ctx));
        break;
      case 'counter':
        void import('./pages/counter/counter.js').then((page) => page.renderCounter(ctx));
        break;
      case 'department':
        renderDepartment(ctx);
        break;
      case 'staff':
        renderStaff(ctx);
        break;
      case 'not-found':
        renderNotFound(ctx);
        break;
    }
    if (window.location.hash) {
      document.getElementById(window.location.hash.slice(1))?.scrollIntoView();
    }
    // After a navigation a screen reader starts at the new page's heading, not the old link.
    if (reason === 'navigate') main.querySelector<HTMLElement>('h1')?.focus();
    // The switch was drawn anew in the other language; keep the keyboard where it was.
    if (reason === 'locale') root.querySelector<HTMLElement>('.locale-switch')?.focus();
  };

  function navigate(path: string): void {
    window.history.pushState(null, '', path);
    draw('navigate');
  }

  // Same-origin links marked data-link move without a reload; anything else is a normal link.
  root.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const link = (event.target as Element | null)?.closest?.('a[data-link]');
    if (!(link instanceof HTMLAnchorElement) || link.origin !== window.location.origin) return;
    event.preventDefault();
    navigate(`${link.pathname}${link.search}${link.hash}`);
  });
  window.addEventListener('popstate', () => draw('navigate'));
  draw('load');
}

const root = document.getElementById('app');
if (root) start(root);
