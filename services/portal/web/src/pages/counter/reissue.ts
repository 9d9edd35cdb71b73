import { h, replaceChildren } from '../../dom.js';
import type { StaffApi } from '../../staff-session.js';
import { activationLetter, type Issued, newActivationCode } from './activation.js';
import type { Verified } from './api.js';
import { type CounterWords, reasonFor } from './words.js';

/**
 * After the clerk checked a resident's ID document in person: a new one-time activation code
 * for a lost phone. Identity voids every earlier unused code of the resident. `remember` keeps
 * the last letter for a redraw (a language switch) in this tab.
 */
export function reissueSection(
  api: StaffApi,
  w: CounterWords,
  verified: Verified,
  last: Issued | undefined,
  remember: (issued: Issued) => void,
): HTMLElement {
  const button = h('button', { type: 'button', id: 'reissue-submit' }, w.reissueSubmit);
  const status = h('p', { id: 'reissue-error', class: 'form-error', role: 'alert' });
  const done = h('div', { id: 'reissue-done', 'aria-live': 'polite' });
  const show = (issued: Issued) =>
    replaceChildren(
      done,
      activationLetter(issued, w, {
        id: 'reissue-letter',
        title: w.reissueDone,
        notes: [w.reissueVoidNote],
      }),
    );
  if (last?.subjectId === verified.subjectId) show(last);
  button.addEventListener('click', () => {
    status.textContent = '';
    button.disabled = true;
    button.textContent = w.reissueSubmitting;
    // Each click is a new code (and voids the one before); the key only makes a retry of the
    // same click safe.
    void newActivationCode(api, verified.subjectId, crypto.randomUUID())
      .then((outcome) => {
        if (!button.isConnected) return;
        if (!outcome.ok) {
          status.textContent = reasonFor(outcome.code, w);
          return;
        }
        remember(outcome.value);
        show(outcome.value);
        done.querySelector<HTMLElement>('.activation-letter h3')?.focus();
      })
      .finally(() => {
        button.disabled = false;
        button.textContent = w.reissueSubmit;
      });
  });
  return h(
    'section',
    { class: 'counter-reissue', 'aria-labelledby': 'reissue-title' },
    h('h2', { id: 'reissue-title' }, w.reissueTitle),
    h('p', { class: 'hint' }, w.reissueIntro),
    button,
    status,
    done,
  );
}
