import type { RecordsPaths, WorkflowPaths } from '@tongban/clients';
import { type DepartmentName, departmentNames } from '../../api.js';
import { h, replaceChildren } from '../../dom.js';
import { locale } from '../../i18n.js';
import type { PageContext } from '../../page.js';
import { collectForm, type FieldSpec, fieldsOf } from '../counter/schema-form.js';
import { type ResidentApi, ResidentError, refusal } from './session.js';

type Service =
  WorkflowPaths['/v1/services']['get']['responses'][200]['content']['application/json']['items'][number];
type NewCase = WorkflowPaths['/v1/cases']['post']['responses'][201]['content']['application/json'];
type RecordType =
  RecordsPaths['/v1/record-types']['get']['responses'][200]['content']['application/json']['items'][number];

const zh = {
  title: '申请办事',
  intro: '选择要办理的事项，填写申请表。您本人申请，无需到窗口。',
  service: '办理事项',
  choose: '请选择…',
  chooseOption: '请选择…',
  loading: '正在读取事项目录…',
  failed: '暂时无法读取事项目录，请稍后再试。',
  requiredNote: '带 * 的为必填项。',
  required: '必填',
  submit: '提交申请',
  submitting: '正在提交…',
  done: '申请已提交',
  caseNumber: '办件编号',
  trackingCode: '查询码',
  trackHint: '凭查询码可在“办件查询”中查看进度，无需登录。',
  recordsTitle: '所需证照',
  recordsAttached: (n: number) => `已自动调取 ${n} 份证照，无需提交纸质材料。`,
  recordsPending: '证照正在调取中，稍后在“我的办件”中可见。',
  missing: (type: string, issuer: string | null) =>
    issuer ? `尚未签发：${type}，签发部门：${issuer}` : `尚未签发：${type}`,
  reasons: {
    validation_failed: '请检查标出的项目：有必填项未填，或内容不符合要求。',
    service_not_found: '该事项已不在目录中，请刷新页面。',
    rate_limited: '提交过于频繁，请稍后再试。',
    unavailable: '暂时无法提交，请稍后再试。',
  } as Record<string, string>,
};

const en: typeof zh = {
  title: 'Apply for a service',
  intro: 'Choose a service and fill in its form. You apply yourself; no visit to a counter.',
  service: 'Service',
  choose: 'Choose…',
  chooseOption: 'Choose…',
  loading: 'Reading the catalogue…',
  failed: 'The catalogue cannot be read right now. Please try again later.',
  requiredNote: 'Fields marked * are required.',
  required: 'required',
  submit: 'Submit the application',
  submitting: 'Submitting…',
  done: 'Application submitted',
  caseNumber: 'Case number',
  trackingCode: 'Tracking code',
  trackHint: 'With the tracking code anyone can follow the case on the tracking page, no sign-in.',
  recordsTitle: 'Records needed',
  recordsAttached: (n: number) =>
    `${n} record${n === 1 ? '' : 's'} fetched for you; no paper copies needed.`,
  recordsPending: 'The records are still being fetched; they will show under my cases.',
  missing: (type: string, issuer: string | null) =>
    issuer ? `Not yet issued: ${type}, issued by ${issuer}` : `Not yet issued: ${type}`,
  reasons: {
    validation_failed: 'Please check the marked fields: a required one is empty or not valid.',
    service_not_found: 'This service is no longer in the catalogue. Please reload the page.',
    rate_limited: 'Too many attempts. Please try again later.',
    unavailable: 'The application cannot be submitted right now. Please try again later.',
  },
};

const words = () => (locale() === 'zh-CN' ? zh : en);
const nameIn = (name: { zh: string; en: string }) => (locale() === 'zh-CN' ? name.zh : name.en);

/** The whole public catalogue (no token: it is public). */
async function catalogue(ctx: PageContext): Promise<Service[]> {
  const items: Service[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 10; page++) {
    const res = await ctx.api.workflow.GET('/v1/services', {
      params: { query: { limit: 200, ...(cursor ? { cursor } : {}) } },
    });
    if (!res.data) throw refusal(res);
    items.push(...res.data.items);
    cursor = res.data.nextCursor ?? undefined;
    if (!cursor) break;
  }
  return items;
}

/** Record type code → names, from the public list; empty if it cannot be read. */
export async function recordTypeNames(ctx: PageContext): Promise<Map<string, RecordType>> {
  const types = new Map<string, RecordType>();
  let cursor: string | undefined;
  try {
    for (let page = 0; page < 10; page++) {
      const res = await ctx.api.records.GET('/v1/record-types', {
        params: { query: { limit: 200, ...(cursor ? { cursor } : {}) } },
      });
      if (!res.data) break;
      for (const type of res.data.items) types.set(type.code, type);
      cursor = res.data.nextCursor ?? undefined;
      if (!cursor) break;
    }
  } catch {
    // Codes are shown instead of names.
  }
  return types;
}

/**
 * "Apply for a service": the catalogue (`GET /v1/services`, public), a form built from the
 * chosen service's JSON Schema, and `POST /v1/cases` with the device's token and proof and one
 * Idempotency-Key per filled-in form. The new case's number and tracking code are shown with
 * any record the resident does not have yet; `onApplied` lets "my cases" read itself again.
 */
export function applyForService(
  ctx: PageContext,
  api: ResidentApi,
  onApplied: () => void,
): HTMLElement {
  const w = words();
  const box = h('div', { 'data-apply-state': 'loading' }, h('p', {}, w.loading));
  const section = h(
    'section',
    { class: 'resident-apply', 'aria-labelledby': 'resident-apply-title' },
    h('h2', { id: 'resident-apply-title' }, w.title),
    h('p', { class: 'hint' }, w.intro),
    box,
  );
  ctx.cache.departments ??= departmentNames(ctx.api);
  void Promise.all([catalogue(ctx), ctx.cache.departments, recordTypeNames(ctx)]).then(
    ([services, departments, types]) => {
      if (!box.isConnected) return;
      box.dataset.applyState = 'ready';
      showCatalogue(box, services, { api, departments, types, onApplied });
    },
    () => {
      if (!box.isConnected) return;
      box.dataset.applyState = 'failed';
      replaceChildren(box, h('p', { class: 'notice notice-failed' }, w.failed));
    },
  );
  return section;
}

interface Setting {
  readonly api: ResidentApi;
  readonly departments: Map<string, DepartmentName>;
  readonly types: Map<string, RecordType>;
  readonly onApplied: () => void;
}

function showCatalogue(box: HTMLElement, services: readonly Service[], setting: Setting): void {
  const w = words();
  const select = h(
    'select',
    { id: 'resident-apply-service', name: 'service' },
    h('option', { value: '' }, w.choose),
    ...services.map((s) => h('option', { value: s.code }, nameIn(s.name))),
  );
  const formBox = h('div', {});
  const done = h('div', { id: 'resident-apply-done', 'aria-live': 'polite' });
  select.addEventListener('change', () => {
    const service = services.find((s) => s.code === select.value);
    replaceChildren(formBox, service ? applicationForm(service, done, setting) : null);
  });
  replaceChildren(
    box,
    h(
      'div',
      { class: 'resident-field' },
      h('label', { for: 'resident-apply-service' }, w.service),
      select,
    ),
    formBox,
    done,
  );
}

function applicationForm(service: Service, done: HTMLElement, setting: Setting): HTMLElement {
  const w = words();
  const fields = fieldsOf(service.form);
  const controls = new Map<string, HTMLInputElement | HTMLSelectElement>();
  const submit = h('button', { type: 'submit' }, w.submit);
  const status = h('p', { class: 'form-error', role: 'alert' });
  const form = h(
    'form',
    {
      class: 'resident-application',
      novalidate: true,
      'data-service': service.code,
      'aria-label': nameIn(service.name),
    },
    service.description ? h('p', { class: 'hint' }, nameIn(service.description)) : null,
    h('p', { class: 'hint' }, w.requiredNote),
    ...fields.map((field) => {
      const control = fieldControl(field);
      controls.set(field.name, control);
      return fieldRow(field, control);
    }),
    h('div', { class: 'button-row' }, submit),
    status,
  );
  // One key per filled-in form: a second click or a retry after a lost answer is the same
  // application; the next form after a success gets a new key.
  let key = crypto.randomUUID();
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    for (const control of controls.values()) control.removeAttribute('aria-invalid');
    const collected = collectForm(fields, (name) => controls.get(name)?.value ?? '');
    const body = collected.form;
    const invalid = [...collected.invalid];
    // The browser's own checks too (lengths, ranges), so an obvious slip is caught here.
    for (const [name, control] of controls) {
      if (!control.checkValidity() && !invalid.includes(name)) invalid.push(name);
    }
    if (invalid.length > 0) {
      for (const name of invalid) controls.get(name)?.setAttribute('aria-invalid', 'true');
      status.textContent = w.reasons.validation_failed ?? '';
      controls.get(invalid[0] ?? '')?.focus();
      return;
    }
    status.textContent = '';
    submit.disabled = true;
    submit.textContent = w.submitting;
    void setting.api.workflow
      .POST('/v1/cases', {
        headers: { 'idempotency-key': key },
        body: { service: service.code, form: body },
      })
      .then((res) => {
        if (!res.data) throw refusal(res);
        return res.data;
      })
      .then(
        (created) => {
          if (!form.isConnected) return;
          key = crypto.randomUUID();
          form.reset();
          showApplied(created, done, setting);
          done.querySelector<HTMLElement>('h3')?.focus();
          setting.onApplied();
        },
        (cause: unknown) => {
          if (!form.isConnected) return;
          const failure =
            cause instanceof ResidentError ? cause : new ResidentError('unavailable', 0);
          status.textContent = w.reasons[failure.code] ?? w.reasons.unavailable ?? '';
        },
      )
      .finally(() => {
        submit.disabled = false;
        submit.textContent = w.submit;
      });
  });
  return form;
}

function showApplied(created: NewCase, box: HTMLElement, setting: Setting): void {
  const w = words();
  const department = (code: string | null) => {
    if (code === null) return null;
    const name = setting.departments.get(code);
    return name ? nameIn(name) : code;
  };
  const typeName = (code: string) => {
    const type = setting.types.get(code);
    return type ? nameIn(type.name) : code;
  };
  const { records } = created;
  // A type needed at two steps is still one record to have issued.
  const missing = [...new Map(records.missing.map((m) => [m.type, m])).values()];
  replaceChildren(
    box,
    h(
      'div',
      { class: 'case resident-applied', 'data-case': created.number },
      h('h3', { tabindex: -1 }, w.done, ': ', nameIn(created.service.name)),
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, w.caseNumber),
        h('dd', {}, h('span', { 'data-field': 'number' }, created.number)),
        h('dt', {}, w.trackingCode),
        h(
          'dd',
          {},
          h(
            'a',
            {
              href: `/track/${created.trackingCode}`,
              'data-link': true,
              'data-field': 'tracking-code',
            },
            created.trackingCode,
          ),
        ),
      ),
      h('p', { class: 'hint' }, w.trackHint),
      h('h4', {}, w.recordsTitle),
      records.pulled
        ? records.references.length > 0
          ? h('p', {}, w.recordsAttached(records.references.length))
          : null
        : h('p', {}, w.recordsPending),
      missing.length > 0
        ? h(
            'ul',
            { class: 'resident-missing', 'data-field': 'missing' },
            ...missing.map((m) =>
              h(
                'li',
                { 'data-type': m.type },
                w.missing(typeName(m.type), department(m.issuerDepartment)),
              ),
            ),
          )
        : null,
    ),
  );
}

function fieldControl(field: FieldSpec): HTMLInputElement | HTMLSelectElement {
  const w = words();
  const id = `resident-apply-${field.name}`;
  const common = {
    id,
    name: field.name,
    required: field.required,
    'aria-describedby': field.description ? `${id}-hint` : undefined,
  };
  if (field.kind === 'select') {
    return h(
      'select',
      common,
      h('option', { value: '' }, w.chooseOption),
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

function fieldRow(field: FieldSpec, control: HTMLInputElement | HTMLSelectElement): HTMLElement {
  const w = words();
  return h(
    'div',
    { class: 'resident-field' },
    h(
      'label',
      { for: control.id },
      field.label,
      field.required
        ? h(
            'span',
            { class: 'required' },
            ' *',
            h('span', { class: 'visually-hidden' }, ` (${w.required})`),
          )
        : null,
    ),
    field.description
      ? h('p', { class: 'hint', id: `${control.id}-hint` }, field.description)
      : null,
    control,
  );
}
