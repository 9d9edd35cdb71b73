/// <reference path="./styles.d.ts" />
import { type Child, h, replaceChildren } from '../../dom.js';
import { dateTime, lastDay } from '../../format.js';
import { locale, t } from '../../i18n.js';
import { type PageContext, setTitle } from '../../page.js';
import {
  currentStaff,
  renderSignIn,
  type StaffApi,
  type StaffSession,
  staffApi,
  staffBar,
} from '../../staff-session.js';
import type { Issued } from './activation.js';
import {
  type Case,
  type Outcome,
  receipt,
  residentCases,
  type Service,
  services,
  submitCase,
  type Verified,
  verifyInPerson,
  verifyPresentation,
} from './api.js';
import { enrolSection } from './enrol.js';
import { reissueSection } from './reissue.js';
import { type CameraScan, decodeFile, startCamera } from './scan.js';
import { collectForm, type FieldSpec, fieldsOf } from './schema-form.js';
import { type CounterWords, reasonFor, words } from './words.js';
import './counter.css';

/**
 * `/counter`: a counter clerk verifies a resident (their phone's QR code through the camera, a
 * photo of it, its pasted text, or their ID document in person), then sees the resident's cases
 * and applies for a service on their behalf. Everything about the resident is reached through
 * that verification, which workflow accepts for 10 minutes.
 */

// For this tab only: a redraw (language switch) keeps the resident at the counter; a reload or
// signing out forgets them.
interface DeskState {
  verified?: Verified;
  failure?: string;
  applied?: Case;
  serviceCode?: string;
  reissued?: Issued;
}
let desk: DeskState = {};
// The last enrolment's letter, kept across a redraw (language switch) and a new verification.
let enrolled: Issued | undefined;
let camera: CameraScan | undefined;

const COUNTER_KEY = 'tongban.counter-name';

function storedCounter(): string {
  try {
    return localStorage.getItem(COUNTER_KEY) ?? '';
  } catch {
    return '';
  }
}

function storeCounter(name: string): void {
  try {
    localStorage.setItem(COUNTER_KEY, name);
  } catch {
    // Storage disabled: the name lasts for this page only.
  }
}

const nameIn = (name: { zh: string; en: string }) => (locale() === 'zh-CN' ? name.zh : name.en);

export function renderCounter(ctx: PageContext): void {
  camera?.stop();
  camera = undefined;
  const w = words();
  setTitle(w.title);
  const page = h('div', { class: 'counter-page', 'data-page': 'counter' });
  replaceChildren(ctx.main, page);
  const session = currentStaff();
  if (!session) {
    desk = {};
    enrolled = undefined;
    const box = h('div', {});
    replaceChildren(page, h('h1', { tabindex: -1 }, w.title), box);
    renderSignIn(ctx, box, () => {
      renderCounter(ctx);
      ctx.main.querySelector<HTMLElement>('#counter-name')?.focus();
    });
    return;
  }
  new Desk(ctx, page, session, w).draw();
}

class Desk {
  private readonly api: StaffApi;
  private readonly result = h('div', {
    id: 'counter-result',
    class: 'counter-result',
    role: 'status',
    'aria-live': 'polite',
  });
  private readonly resident = h('div', { class: 'counter-resident' });
  private readonly counterName: HTMLInputElement;

  constructor(
    private readonly ctx: PageContext,
    private readonly page: HTMLElement,
    private readonly session: StaffSession,
    private readonly w: CounterWords,
  ) {
    this.api = staffApi(session);
    this.counterName = h('input', {
      id: 'counter-name',
      name: 'counter',
      required: true,
      maxlength: 100,
      autocomplete: 'off',
      'aria-describedby': 'counter-name-hint',
      value: storedCounter(),
    });
    this.counterName.addEventListener('change', () => storeCounter(this.counterName.value.trim()));
  }

  draw(): void {
    const { w } = this;
    replaceChildren(
      this.page,
      h('h1', { tabindex: -1 }, w.title),
      staffBar(this.session, () => {
        desk = {};
        enrolled = undefined;
        renderCounter(this.ctx);
      }),
      h('p', { class: 'lead' }, w.intro),
      h(
        'div',
        { class: 'counter-name' },
        h('label', { for: 'counter-name' }, w.counterLabel),
        this.counterName,
        h('p', { id: 'counter-name-hint', class: 'hint' }, w.counterHint),
      ),
      h(
        'section',
        { class: 'counter-check', 'aria-labelledby': 'check-title' },
        h('h2', { id: 'check-title' }, w.checkTitle),
        this.scanPanel(),
        this.inPersonPanel(),
      ),
      this.result,
      this.resident,
      enrolSection(this.api, w, enrolled, (issued) => {
        enrolled = issued;
      }),
    );
    this.showResult();
  }

  private counter(): string {
    const name = this.counterName.value.trim();
    storeCounter(name);
    return name;
  }

  // --- verifying ---------------------------------------------------------------------------

  private scanPanel(): HTMLElement {
    const { w } = this;
    const video = h('video', {
      class: 'counter-video',
      'aria-label': w.scanVideoLabel,
      muted: true,
      playsinline: true,
      hidden: true,
    });
    const aiming = h('p', { class: 'hint', hidden: true }, w.scanAiming);
    const start = h('button', { type: 'button', id: 'scan-start' }, w.scanStart);
    const stop = h('button', { type: 'button', class: 'secondary', hidden: true }, w.scanStop);
    const cameraNote = h('p', { class: 'form-error', role: 'alert' });
    const showCamera = (on: boolean) => {
      video.hidden = !on;
      aiming.hidden = !on;
      stop.hidden = !on;
      start.hidden = on;
    };
    start.addEventListener('click', () => {
      cameraNote.textContent = '';
      start.disabled = true;
      showCamera(true);
      void startCamera(video, (text) => {
        camera = undefined;
        showCamera(false);
        start.focus();
        void this.verifyToken(text);
      })
        .then((scan) => {
          camera = scan;
        })
        .catch(() => {
          showCamera(false);
          cameraNote.textContent = w.cameraFailed;
        })
        .finally(() => {
          start.disabled = false;
        });
    });
    stop.addEventListener('click', () => {
      camera?.stop();
      camera = undefined;
      showCamera(false);
      start.focus();
    });

    const upload = h('input', {
      id: 'scan-upload',
      type: 'file',
      accept: 'image/*',
    });
    const uploadNote = h('p', { class: 'form-error', role: 'alert' });
    upload.addEventListener('change', () => {
      const file = upload.files?.[0];
      uploadNote.textContent = '';
      if (!file) return;
      void decodeFile(file).then((text) => {
        upload.value = '';
        if (text) void this.verifyToken(text);
        else uploadNote.textContent = w.uploadNoCode;
      });
    });

    const paste = h('textarea', {
      id: 'scan-paste',
      name: 'token',
      rows: 3,
      maxlength: 4096,
      autocomplete: 'off',
      spellcheck: false,
    });
    const pasteNote = h('p', { class: 'form-error', role: 'alert' });
    const pasteForm = h(
      'form',
      { class: 'counter-paste', novalidate: true },
      h('label', { for: 'scan-paste' }, w.pasteLabel),
      paste,
      h('button', { type: 'submit' }, w.pasteSubmit),
      pasteNote,
    );
    pasteForm.addEventListener('submit', (event) => {
      event.preventDefault();
      const token = paste.value.replace(/\s+/g, '');
      pasteNote.textContent = token ? '' : w.pasteEmpty;
      if (!token) return;
      paste.value = '';
      void this.verifyToken(token);
    });

    return h(
      'div',
      { class: 'counter-panel' },
      h('h3', {}, w.scanTitle),
      h('div', { class: 'counter-camera' }, start, stop, aiming, video, cameraNote),
      h(
        'div',
        { class: 'counter-upload' },
        h('label', { for: 'scan-upload' }, w.uploadLabel),
        upload,
        uploadNote,
      ),
      pasteForm,
    );
  }

  private inPersonPanel(): HTMLElement {
    const { w } = this;
    const type = h(
      'select',
      { id: 'in-person-type', name: 'idDocumentType' },
      ...Object.entries(w.documentTypes).map(([value, label]) => h('option', { value }, label)),
    );
    const number = h('input', {
      id: 'in-person-number',
      name: 'idNumber',
      required: true,
      minlength: 5,
      maxlength: 40,
      autocomplete: 'off',
      spellcheck: false,
    });
    const submit = h('button', { type: 'submit' }, w.inPersonSubmit);
    const form = h(
      'form',
      { class: 'counter-panel counter-in-person', novalidate: true },
      h('h3', {}, w.inPersonTitle),
      h('p', { class: 'hint' }, w.inPersonHint),
      h('label', { for: 'in-person-type' }, w.documentType),
      type,
      h('label', { for: 'in-person-number' }, w.documentNumber),
      number,
      submit,
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const counter = this.counter();
      if (!counter || number.value.trim().length < 5) {
        this.fail('validation_failed');
        (counter ? number : this.counterName).focus();
        return;
      }
      submit.disabled = true;
      this.pending();
      void verifyInPerson(this.api, {
        idDocumentType: type.value,
        idNumber: number.value.trim(),
        counter,
      })
        .then((outcome) => {
          if (outcome.ok) number.value = '';
          this.settle(outcome);
        })
        .finally(() => {
          submit.disabled = false;
        });
    });
    return form;
  }

  private async verifyToken(token: string): Promise<void> {
    this.pending();
    this.settle(await verifyPresentation(this.api, token, this.counter()));
  }

  private pending(): void {
    desk = {};
    replaceChildren(this.resident);
    this.result.dataset.state = 'verifying';
    replaceChildren(this.result, h('p', {}, this.w.verifying));
  }

  private fail(code: string): void {
    desk = { failure: code };
    replaceChildren(this.resident);
    this.showResult();
  }

  private settle(outcome: Outcome<Verified>): void {
    if (!this.result.isConnected) return;
    if (outcome.ok) {
      desk = { verified: outcome.value };
      this.showResult();
    } else {
      this.fail(outcome.code);
    }
  }

  private showResult(): void {
    const { w } = this;
    if (desk.failure) {
      this.result.dataset.state = 'failed';
      this.result.dataset.code = desk.failure;
      replaceChildren(
        this.result,
        h(
          'div',
          { class: 'notice notice-failed counter-failure' },
          h('h2', {}, w.failedTitle),
          h('p', { 'data-field': 'reason' }, reasonFor(desk.failure, w)),
        ),
      );
      return;
    }
    const verified = desk.verified;
    if (!verified) {
      this.result.dataset.state = 'idle';
      replaceChildren(this.result);
      return;
    }
    this.result.dataset.state = 'verified';
    delete this.result.dataset.code;
    replaceChildren(this.result, verifiedCard(verified, w));
    this.drawResident(verified);
  }

  // --- the verified resident ---------------------------------------------------------------

  private drawResident(verified: Verified): void {
    const cases = h('div', { id: 'resident-cases', 'aria-live': 'polite' });
    const apply = h('div', { id: 'resident-apply' });
    replaceChildren(
      this.resident,
      h(
        'section',
        { class: 'counter-cases', 'aria-labelledby': 'cases-title' },
        h('h2', { id: 'cases-title' }, this.w.casesTitle),
        cases,
      ),
      h(
        'section',
        { class: 'counter-apply', 'aria-labelledby': 'apply-title' },
        h('h2', { id: 'apply-title' }, this.w.applyTitle),
        apply,
      ),
      // A lost phone: a new activation code, only after the ID document was checked in person.
      verified.method === 'in_person'
        ? reissueSection(this.api, this.w, verified, desk.reissued, (issued) => {
            if (desk.verified === verified) desk.reissued = issued;
          })
        : null,
    );
    void this.loadCases(verified, cases);
    void this.drawApply(verified, apply);
  }

  private async loadCases(verified: Verified, box: HTMLElement): Promise<void> {
    const { w } = this;
    box.dataset.state = 'loading';
    replaceChildren(box, h('p', {}, w.casesLoading));
    const outcome = await residentCases(this.api, verified);
    if (!box.isConnected || desk.verified !== verified) return;
    if (!outcome.ok) {
      box.dataset.state = 'failed';
      replaceChildren(box, h('p', { class: 'notice notice-failed' }, reasonFor(outcome.code, w)));
      return;
    }
    box.dataset.state = 'loaded';
    replaceChildren(
      box,
      outcome.value.length === 0
        ? h('p', {}, w.casesNone)
        : h('ol', { class: 'counter-case-list' }, ...outcome.value.map((c) => caseItem(c, w))),
      h('p', { class: 'note' }, w.timesNote),
    );
  }

  private async drawApply(verified: Verified, box: HTMLElement): Promise<void> {
    const { w } = this;
    const outcome = await services(this.api);
    if (!box.isConnected || desk.verified !== verified) return;
    if (!outcome.ok) {
      replaceChildren(box, h('p', { class: 'notice notice-failed' }, w.applyServicesFailed));
      return;
    }
    const catalogue = outcome.value;
    const select = h(
      'select',
      { id: 'apply-service', name: 'service' },
      h('option', { value: '' }, w.applyChoose),
      ...catalogue.map((s) =>
        h('option', { value: s.code, selected: s.code === desk.serviceCode }, nameIn(s.name)),
      ),
    );
    const formBox = h('div', {});
    const done = h('div', { id: 'apply-done', 'aria-live': 'polite' });
    const choose = () => {
      desk.serviceCode = select.value || undefined;
      const service = catalogue.find((s) => s.code === select.value);
      replaceChildren(formBox, service ? this.applicationForm(verified, service, done) : null);
    };
    select.addEventListener('change', choose);
    replaceChildren(
      box,
      h(
        'div',
        { class: 'counter-field' },
        h('label', { for: 'apply-service' }, w.applyService),
        select,
      ),
      formBox,
      done,
    );
    choose();
    if (desk.applied) this.showApplied(desk.applied, done);
  }

  private applicationForm(verified: Verified, service: Service, done: HTMLElement): HTMLElement {
    const { w } = this;
    const fields = fieldsOf(service.form);
    const controls = new Map<string, HTMLInputElement | HTMLSelectElement>();
    const submit = h('button', { type: 'submit' }, w.applySubmit);
    const status = h('p', { class: 'form-error', role: 'alert' });
    const form = h(
      'form',
      { class: 'counter-application', novalidate: true, 'data-service': service.code },
      service.description ? h('p', { class: 'hint' }, nameIn(service.description)) : null,
      h('p', { class: 'hint' }, w.applyRequiredNote),
      ...fields.map((field) => {
        const control = fieldControl(field, w);
        controls.set(field.name, control);
        return fieldRow(field, control, w);
      }),
      submit,
      status,
    );
    // One key per filled-in form: a second click, or a retry after a lost answer, is the same
    // application; a new form after a success gets a new key.
    let key = crypto.randomUUID();
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      for (const control of controls.values()) control.removeAttribute('aria-invalid');
      const { form: body, invalid } = collectForm(
        fields,
        (name) => controls.get(name)?.value ?? '',
      );
      if (invalid.length > 0) {
        for (const name of invalid) controls.get(name)?.setAttribute('aria-invalid', 'true');
        status.textContent = reasonFor('validation_failed', w);
        controls.get(invalid[0] ?? '')?.focus();
        return;
      }
      status.textContent = '';
      submit.disabled = true;
      submit.textContent = w.applySubmitting;
      void submitCase(this.api, {
        service: service.code,
        verified,
        form: body,
        idempotencyKey: key,
      })
        .then((outcome) => {
          if (!form.isConnected) return;
          if (!outcome.ok) {
            status.textContent = reasonFor(outcome.code, w);
            for (const error of outcome.errors ?? []) {
              const name = /^\/?(?:body\.)?form[./]([^./]+)/.exec(error.field)?.[1];
              if (name) controls.get(name)?.setAttribute('aria-invalid', 'true');
            }
            return;
          }
          key = crypto.randomUUID();
          desk.applied = outcome.value;
          form.reset();
          this.showApplied(outcome.value, done);
          const cases = document.getElementById('resident-cases');
          if (cases) void this.loadCases(verified, cases);
        })
        .finally(() => {
          submit.disabled = false;
          submit.textContent = w.applySubmit;
        });
    });
    return form;
  }

  private showApplied(applied: Case, box: HTMLElement): void {
    const { w } = this;
    const show = h('button', { type: 'button', class: 'secondary' }, w.receiptShow);
    const receiptBox = h('div', { class: 'counter-receipt' });
    show.addEventListener('click', () => {
      show.disabled = true;
      void receipt(this.api, applied.id).then((outcome) => {
        show.disabled = false;
        if (!receiptBox.isConnected) return;
        if (!outcome.ok) {
          replaceChildren(receiptBox, h('p', { class: 'form-error' }, w.receiptFailed));
          return;
        }
        const url = URL.createObjectURL(outcome.value);
        // A blob: URL this page made itself: dom.ts admits only relative and http(s) URLs in
        // attributes, so it is set as a property here (the CSP allows img-src blob:).
        const image = h('img', { alt: w.receiptAlt(applied.number), class: 'receipt-image' });
        image.src = url;
        const download = h('a', { download: `${applied.number}.svg` }, w.receiptDownload);
        download.href = url;
        replaceChildren(receiptBox, image, h('p', {}, download));
        show.hidden = true;
      });
    });
    replaceChildren(
      box,
      h(
        'div',
        { class: 'case counter-applied', role: 'status' },
        h('h3', {}, w.applyDone, ': ', nameIn(applied.service.name)),
        h(
          'dl',
          { class: 'facts' },
          ...row(w.caseNumber, h('span', { 'data-field': 'applied-number' }, applied.number)),
          ...row(
            w.trackingCode,
            h(
              'a',
              {
                href: `/track/${applied.trackingCode}`,
                'data-link': true,
                'data-field': 'applied-tracking',
              },
              applied.trackingCode,
            ),
          ),
        ),
        show,
        receiptBox,
      ),
    );
  }
}

function row(term: string, ...value: Child[]): HTMLElement[] {
  return [h('dt', {}, term), h('dd', {}, ...value)];
}

function verifiedCard(verified: Verified, w: CounterWords): HTMLElement {
  const lang = locale();
  return h(
    'section',
    { class: 'case counter-verified', 'aria-labelledby': 'verified-title' },
    h('h2', { id: 'verified-title' }, w.verifiedTitle),
    h(
      'dl',
      { class: 'facts' },
      ...Object.entries(verified.attributes).flatMap(([name, value]) =>
        row(
          w.attributes[name] ?? name,
          h(
            'span',
            { 'data-attribute': name },
            name === 'idDocumentType' ? (w.documentTypes[value] ?? value) : value,
          ),
        ),
      ),
      ...row(w.method, verified.method === 'presentation' ? w.verifiedByScan : w.verifiedInPerson),
      ...row(
        w.verificationId,
        h('code', { 'data-field': 'verification-id' }, verified.verificationId),
      ),
      ...row(
        w.verifiedAt,
        h('span', { 'data-field': 'verified-at' }, dateTime(verified.verifiedAt, lang)),
      ),
      ...(verified.counter
        ? row(w.counter, h('span', { 'data-field': 'counter' }, verified.counter))
        : []),
      ...row(w.subjectId, h('code', { 'data-field': 'subject-id' }, verified.subjectId)),
    ),
    h('p', { class: 'note' }, w.accessNote),
  );
}

const TONE: Record<string, string> = {
  approved: 'done',
  rejected: 'refused',
  in_progress: 'active',
  open: 'active',
  awaiting_information: 'waiting',
  waiting: 'idle',
  withdrawn: 'idle',
  cancelled: 'idle',
};

function badge(state: string, labels: Record<string, string>): HTMLElement {
  return h(
    'span',
    { class: `badge tone-${TONE[state] ?? 'idle'}`, 'data-status': state },
    labels[state] ?? state,
  );
}

function caseItem(c: Case, w: CounterWords): HTMLElement {
  const m = t();
  const lang = locale();
  return h(
    'li',
    { class: 'case counter-case', 'data-case': c.number },
    h(
      'div',
      { class: 'stage-head' },
      h('h3', {}, nameIn(c.service.name)),
      badge(c.status, m.caseStatuses),
    ),
    h(
      'dl',
      { class: 'facts' },
      ...row(w.caseNumber, h('span', { 'data-field': 'number' }, c.number)),
      ...row(w.caseSubmitted, dateTime(c.submittedAt, lang)),
      ...(c.completedAt
        ? row(m.caseCompleted, dateTime(c.completedAt, lang))
        : row(w.caseDue, c.dueAt ? m.dueBy(lastDay(c.dueAt, lang)) : w.notYet)),
      ...row(
        w.trackingCode,
        h('a', { href: `/track/${c.trackingCode}`, 'data-link': true }, c.trackingCode),
      ),
    ),
    h('h4', {}, w.tasks),
    h(
      'ul',
      { class: 'counter-tasks' },
      ...c.tasks.map((task) =>
        h(
          'li',
          { 'data-status': task.status },
          h('span', { class: 'task-name' }, nameIn(task.name)),
          ' ',
          badge(task.status, m.stageStatuses),
          task.dueAt && !task.decidedAt
            ? h('span', { class: 'task-due' }, ` ${w.taskDue}${m.dueBy(lastDay(task.dueAt, lang))}`)
            : null,
        ),
      ),
    ),
  );
}

function fieldControl(field: FieldSpec, w: CounterWords): HTMLInputElement | HTMLSelectElement {
  const id = `apply-${field.name}`;
  const common = {
    id,
    name: field.name,
    required: field.required,
    'aria-required': field.required ? 'true' : undefined,
    'aria-describedby': field.description ? `${id}-hint` : undefined,
  };
  if (field.kind === 'select') {
    return h(
      'select',
      common,
      h('option', { value: '' }, w.applyChooseOption),
      ...(field.options ?? []).map((option) =>
        h('option', { value: option, selected: option === field.defaultValue }, option),
      ),
    );
  }
  const numeric = field.kind === 'number' || field.kind === 'integer';
  return h('input', {
    ...common,
    type: numeric ? 'number' : field.kind === 'date' ? 'date' : 'text',
    step: field.kind === 'integer' ? 1 : field.kind === 'number' ? 'any' : undefined,
    inputmode:
      field.kind === 'integer' ? 'numeric' : field.kind === 'number' ? 'decimal' : undefined,
    min: numeric ? field.minimum : undefined,
    max: numeric ? field.maximum : undefined,
    minlength: field.kind === 'text' ? field.minLength : undefined,
    maxlength: field.kind === 'text' ? field.maxLength : undefined,
    value: field.defaultValue,
    autocomplete: 'off',
  });
}

function fieldRow(
  field: FieldSpec,
  control: HTMLInputElement | HTMLSelectElement,
  w: CounterWords,
): HTMLElement {
  return h(
    'div',
    { class: 'counter-field' },
    h(
      'label',
      { for: control.id },
      field.label,
      field.required
        ? h(
            'span',
            { class: 'required' },
            ' *',
            h('span', { class: 'visually-hidden' }, ` (${w.applyRequired})`),
          )
        : null,
    ),
    field.description
      ? h('p', { class: 'hint', id: `${control.id}-hint` }, field.description)
      : null,
    control,
  );
}
