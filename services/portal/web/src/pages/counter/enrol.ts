import { h, replaceChildren } from '../../dom.js';
import { locale } from '../../i18n.js';
import type { StaffApi } from '../../staff-session.js';
import { activationLetter, type EnrolBody, enrolResident, type Issued } from './activation.js';
import { type CounterWords, reasonFor } from './words.js';

/** Identity's field names (`body.…` in a validation_failed problem) → this form's controls. */
const FIELDS = {
  'body.fullName': 'enrol-name',
  'body.birthDate': 'enrol-birth-date',
  'body.phone': 'enrol-phone',
  'body.idDocument.type': 'enrol-document-type',
  'body.idDocument': 'enrol-document-number',
  'body.idDocument.number': 'enrol-document-number',
} as const satisfies Record<string, string>;

const PHONE = /^\+?[0-9]{6,20}$/;

/**
 * Enrolling a resident after checking their ID document in person: the form, then the
 * activation letter with the one-time code. `remember` keeps the last enrolment for a redraw
 * (a language switch) in this tab.
 */
export function enrolSection(
  api: StaffApi,
  w: CounterWords,
  last: Issued | undefined,
  remember: (issued: Issued | undefined) => void,
): HTMLElement {
  const name = h('input', {
    id: 'enrol-name',
    name: 'fullName',
    required: true,
    maxlength: 100,
    autocomplete: 'off',
  });
  const birthDate = h('input', {
    id: 'enrol-birth-date',
    name: 'birthDate',
    type: 'date',
    required: true,
    min: '1900-01-01',
  });
  const phone = h('input', {
    id: 'enrol-phone',
    name: 'phone',
    type: 'tel',
    inputmode: 'tel',
    required: true,
    maxlength: 21,
    autocomplete: 'off',
    'aria-describedby': 'enrol-phone-hint',
  });
  const type = h(
    'select',
    { id: 'enrol-document-type', name: 'idDocumentType' },
    ...Object.entries(w.documentTypes).map(([value, label]) => h('option', { value }, label)),
  );
  const number = h('input', {
    id: 'enrol-document-number',
    name: 'idNumber',
    required: true,
    minlength: 5,
    maxlength: 40,
    autocomplete: 'off',
    spellcheck: false,
  });
  const controls: Record<string, HTMLInputElement | HTMLSelectElement> = {
    'enrol-name': name,
    'enrol-birth-date': birthDate,
    'enrol-phone': phone,
    'enrol-document-type': type,
    'enrol-document-number': number,
  };
  const labels: Record<string, string> = {
    'enrol-name': w.enrolFullName,
    'enrol-birth-date': w.enrolBirthDate,
    'enrol-phone': w.enrolPhone,
    'enrol-document-type': w.enrolDocumentType,
    'enrol-document-number': w.enrolDocumentNumber,
  };
  const field = (control: HTMLElement, hint?: HTMLElement) =>
    h(
      'div',
      { class: 'counter-field' },
      h('label', { for: control.id }, labels[control.id] ?? ''),
      hint ?? null,
      control,
    );
  const submit = h('button', { type: 'submit' }, w.enrolSubmit);
  const status = h('p', { id: 'enrol-error', class: 'form-error', role: 'alert' });
  const done = h('div', { id: 'enrol-done', 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'counter-panel counter-enrol-form', novalidate: true },
    field(name),
    field(birthDate),
    field(phone, h('p', { id: 'enrol-phone-hint', class: 'hint' }, w.enrolPhoneHint)),
    field(type),
    field(number),
    submit,
    status,
  );

  const showInvalid = (ids: readonly string[]) => {
    const unique = [...new Set(ids)];
    for (const id of unique) controls[id]?.setAttribute('aria-invalid', 'true');
    status.textContent = `${reasonFor('validation_failed', w)} ${w.enrolFixFields(
      unique.map((id) => labels[id] ?? id).join(locale() === 'zh-CN' ? '、' : ', '),
    )}`;
    controls[unique[0] ?? '']?.focus();
  };

  const show = (issued: Issued) => {
    replaceChildren(
      done,
      activationLetter(issued, w, { id: 'enrol-letter', title: w.enrolDone, notes: [] }),
    );
  };
  if (last) show(last);

  // One key per filled-in form: a second click or a retry after a lost answer is the same
  // enrolment (and gets the same code back); the next resident gets a new key.
  let key = crypto.randomUUID();
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    for (const control of Object.values(controls)) control.removeAttribute('aria-invalid');
    const body: EnrolBody = {
      fullName: name.value.trim(),
      birthDate: birthDate.value,
      phone: phone.value.replace(/[\s-]/g, ''),
      idDocument: {
        type: type.value as EnrolBody['idDocument']['type'],
        number: number.value.trim(),
      },
    };
    const invalid: string[] = [];
    if (!body.fullName) invalid.push('enrol-name');
    if (!/^\d{4}-\d{2}-\d{2}$/.test(body.birthDate)) invalid.push('enrol-birth-date');
    if (!PHONE.test(body.phone)) invalid.push('enrol-phone');
    if (body.idDocument.number.length < 5) invalid.push('enrol-document-number');
    if (invalid.length > 0) {
      showInvalid(invalid);
      return;
    }
    status.textContent = '';
    submit.disabled = true;
    submit.textContent = w.enrolSubmitting;
    void enrolResident(api, body, key)
      .then((outcome) => {
        if (!form.isConnected) return;
        if (!outcome.ok) {
          const fields = (outcome.errors ?? [])
            .map((e) => FIELDS[e.field as keyof typeof FIELDS])
            .filter((id): id is (typeof FIELDS)[keyof typeof FIELDS] => id !== undefined);
          if (outcome.code === 'validation_failed' && fields.length > 0) {
            showInvalid(fields);
            return;
          }
          if (outcome.code === 'already_enrolled') number.setAttribute('aria-invalid', 'true');
          status.textContent = reasonFor(outcome.code, w);
          return;
        }
        key = crypto.randomUUID();
        remember(outcome.value);
        form.reset();
        show(outcome.value);
        done.querySelector<HTMLElement>('.activation-letter h3')?.focus();
      })
      .finally(() => {
        submit.disabled = false;
        submit.textContent = w.enrolSubmit;
      });
  });

  return h(
    'section',
    { class: 'counter-enrol', 'aria-labelledby': 'enrol-title' },
    h('h2', { id: 'enrol-title' }, w.enrolTitle),
    h('p', { class: 'hint' }, w.enrolIntro),
    form,
    done,
  );
}
