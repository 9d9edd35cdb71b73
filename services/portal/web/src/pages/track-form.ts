import { normaliseTrackingCode } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import type { PageContext } from '../page.js';

/** A form for the code on the receipt; it opens /track/<code>, which explains a bad code. */
export function trackForm(ctx: PageContext, idPrefix = 'track'): HTMLFormElement {
  const m = t();
  const inputId = `${idPrefix}-code`;
  const hintId = `${idPrefix}-hint`;
  const input = h('input', {
    id: inputId,
    name: 'code',
    type: 'text',
    inputmode: 'text',
    autocomplete: 'off',
    autocapitalize: 'characters',
    spellcheck: 'false',
    maxlength: 40,
    required: true,
    'aria-describedby': hintId,
  });
  const form = h(
    'form',
    { class: 'track-form', action: '/track/', method: 'get', novalidate: true },
    h('label', { for: inputId }, m.trackCodeLabel),
    h('p', { id: hintId, class: 'hint' }, m.trackFormHint),
    h('div', { class: 'field-row' }, input, h('button', { type: 'submit' }, m.trackSubmit)),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const typed = input.value.trim();
    // A code that cannot be one still opens the page, which says so in words.
    const code = normaliseTrackingCode(typed) ?? typed.replace(/[^0-9A-Za-z-]/g, '').slice(0, 40);
    ctx.navigate(`/track/${encodeURIComponent(code || '-')}`);
  });
  return form;
}
