import { type ServiceName, serviceState } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { t } from '../i18n.js';
import { type PageContext, setTitle } from '../page.js';
import { trackForm } from './track-form.js';

const SERVICES: readonly ServiceName[] = ['identity', 'workflow', 'records'];

/** `/`: what Tongban is, the tracking-code form, and whether each service answers. */
export function renderHome(ctx: PageContext): void {
  const m = t();
  setTitle();
  const serviceLabel: Record<ServiceName, string> = {
    identity: m.serviceIdentity,
    workflow: m.serviceWorkflow,
    records: m.serviceRecords,
  };
  const rows = SERVICES.map((service) => {
    const state = h('td', { class: 'state' }, m.stateChecking);
    const row = h(
      'tr',
      { 'data-service': service },
      h('th', { scope: 'row' }, serviceLabel[service]),
      state,
    );
    void serviceState(ctx.api, service).then((result) => {
      const label = {
        ready: m.stateReady,
        unavailable: m.stateUnavailable,
        unreachable: m.stateUnreachable,
      }[result];
      replaceChildren(state, h('span', { class: `badge badge-${result}` }, label));
      row.dataset.state = result;
    });
    return row;
  });
  replaceChildren(
    ctx.main,
    h('h1', { tabindex: -1 }, m.homeTitle),
    h('p', { class: 'lead' }, m.homeIntro),
    h(
      'section',
      { id: 'track', 'aria-labelledby': 'track-title' },
      h('h2', { id: 'track-title' }, m.trackFormTitle),
      trackForm(ctx),
    ),
    h(
      'section',
      { 'aria-labelledby': 'status-title' },
      h('h2', { id: 'status-title' }, m.statusTitle),
      h(
        'table',
        { id: 'status' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col' }, m.statusService),
            h('th', { scope: 'col' }, m.statusState),
          ),
        ),
        h('tbody', {}, ...rows),
      ),
    ),
  );
}
