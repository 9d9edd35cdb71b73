import type { RecordsPaths } from '@tongban/clients';
import { type DepartmentName, departmentNames } from '../../api.js';
import { h, replaceChildren } from '../../dom.js';
import { CITY_TIME_ZONE, lastDay } from '../../format.js';
import { locale } from '../../i18n.js';
import type { PageContext } from '../../page.js';
import { recordTypeNames } from './apply.js';
import { type ResidentApi, ResidentError, refusal } from './session.js';

type Consent =
  RecordsPaths['/v1/consents']['get']['responses'][200]['content']['application/json']['items'][number];

const zh = {
  title: '我的授权',
  intro: '您可以授权某个部门在一段时间内为特定用途查阅您的某类证照，也可以随时撤销。',
  loading: '正在读取授权…',
  none: '您还没有授权任何部门。',
  failed: '暂时无法读取授权，请稍后再试。',
  department: '可查阅的部门',
  recordType: '证照类型',
  purpose: '用途',
  status: '状态',
  until: '有效至',
  revokedAt: '撤销时间',
  statuses: { active: '有效', expired: '已过期', revoked: '已撤销' } as Record<string, string>,
  revoke: '撤销此授权',
  revoked: '授权已撤销。',
  grantTitle: '新增授权',
  purposeHint: '部门办理该事项的用途代码，例如 marriage_registration（小写字母、数字和下划线）。',
  untilHint: '授权在当天结束时失效，最长一年。',
  choose: '请选择…',
  grant: '授权',
  granted: '授权已生效。',
  invalid: '请检查标出的项目。',
  reasons: {
    validation_failed: '内容不符合要求：请检查证照类型、用途和有效期（最长一年）。',
    rate_limited: '操作过于频繁，请稍后再试。',
    not_found: '找不到这项授权，已为您刷新。',
    unavailable: '暂时无法完成，请稍后再试。',
  } as Record<string, string>,
};

const en: typeof zh = {
  title: 'My consents',
  intro:
    'You can let a department read one kind of your records for a stated purpose until a date, and withdraw that at any time.',
  loading: 'Reading your consents…',
  none: 'You have not given any department consent.',
  failed: 'Your consents cannot be read right now. Please try again later.',
  department: 'Department that may read',
  recordType: 'Record type',
  purpose: 'Purpose',
  status: 'Status',
  until: 'Valid until',
  revokedAt: 'Revoked',
  statuses: { active: 'Active', expired: 'Expired', revoked: 'Revoked' },
  revoke: 'Revoke this consent',
  revoked: 'The consent was revoked.',
  grantTitle: 'Give consent',
  purposeHint:
    'The code of the procedure it is for, e.g. marriage_registration (lower-case letters, digits and underscores).',
  untilHint: 'The consent ends at the end of that day; at most one year ahead.',
  choose: 'Choose…',
  grant: 'Give consent',
  granted: 'The consent is in force.',
  invalid: 'Please check the marked fields.',
  reasons: {
    validation_failed:
      'Not accepted: please check the record type, the purpose and the date (at most one year ahead).',
    rate_limited: 'Too many attempts. Please try again later.',
    not_found: 'That consent no longer exists; the list was read again.',
    unavailable: 'This cannot be done right now. Please try again later.',
  },
};

const words = () => (locale() === 'zh-CN' ? zh : en);
const nameIn = (name: { zh: string; en: string }) => (locale() === 'zh-CN' ? name.zh : name.en);
const TONE: Record<string, string> = { active: 'done', expired: 'idle', revoked: 'idle' };
const PURPOSE = '^[a-z][a-z0-9_]{1,63}$';

/** Today in the city, plus `days`, as YYYY-MM-DD. */
function cityDate(days: number): string {
  const at = new Date(Date.now() + days * 86_400_000);
  return new Intl.DateTimeFormat('en-CA', { timeZone: CITY_TIME_ZONE }).format(at);
}

async function call<T>(
  request: () => Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const res = await request().catch((cause: unknown) => {
    throw cause instanceof ResidentError ? cause : new ResidentError('unavailable', 0);
  });
  if (res.data === undefined) throw refusal(res);
  return res.data;
}

async function listConsents(api: ResidentApi): Promise<Consent[]> {
  const items: Consent[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 10; page++) {
    const data = await call(() =>
      api.records.GET('/v1/consents', {
        params: { query: { limit: 100, ...(cursor ? { cursor } : {}) } },
      }),
    );
    items.push(...data.items);
    cursor = data.nextCursor ?? undefined;
    if (!cursor) break;
  }
  return items;
}

/**
 * "My consents": the resident's consents (`GET /v1/consents`), each revocable while active
 * (`DELETE /v1/consents/{id}`), and a form to give one (`POST /v1/consents`): department,
 * record type, purpose and the last day, all with the device's token and proof.
 */
export function myConsents(ctx: PageContext, api: ResidentApi): HTMLElement {
  const w = words();
  const list = h('div', { class: 'resident-consent-list', 'data-consents-state': 'loading' });
  const announce = h('p', { class: 'resident-announce', role: 'status', tabindex: -1 });
  const grantBox = h('div', {});
  const section = h(
    'section',
    { class: 'resident-consents', 'aria-labelledby': 'resident-consents-title' },
    h('h2', { id: 'resident-consents-title' }, w.title),
    h('p', { class: 'hint' }, w.intro),
    announce,
    list,
    grantBox,
  );
  ctx.cache.departments ??= departmentNames(ctx.api);
  const names = Promise.all([ctx.cache.departments, recordTypeNames(ctx)]);

  const load = async (): Promise<void> => {
    try {
      const [consents, [departments, types]] = await Promise.all([listConsents(api), names]);
      if (!list.isConnected) return;
      list.dataset.consentsState = consents.length === 0 ? 'none' : 'shown';
      const department = (code: string) => {
        const name = departments.get(code);
        return name ? nameIn(name) : code;
      };
      const typeName = (code: string) => {
        const type = types.get(code);
        return type ? nameIn(type.name) : code;
      };
      replaceChildren(
        list,
        consents.length === 0
          ? h('p', {}, w.none)
          : h(
              'ul',
              { class: 'resident-consent-items' },
              ...consents.map((c) =>
                h(
                  'li',
                  {
                    class: 'case resident-consent',
                    'data-consent-id': c.id,
                    'data-status': c.status,
                    'data-purpose': c.purpose,
                  },
                  h(
                    'dl',
                    { class: 'facts' },
                    h('dt', {}, w.department),
                    h('dd', {}, department(c.department)),
                    h('dt', {}, w.recordType),
                    h('dd', {}, typeName(c.recordType)),
                    h('dt', {}, w.purpose),
                    h('dd', {}, c.purpose),
                    h('dt', {}, w.status),
                    h(
                      'dd',
                      {},
                      h(
                        'span',
                        {
                          class: `badge tone-${TONE[c.status] ?? 'idle'}`,
                          'data-status': c.status,
                        },
                        w.statuses[c.status] ?? c.status,
                      ),
                    ),
                    h('dt', {}, c.revokedAt ? w.revokedAt : w.until),
                    h('dd', {}, lastDay(c.revokedAt ?? c.expiresAt, locale())),
                  ),
                  c.status === 'active' ? revokeButton(c) : null,
                ),
              ),
            ),
      );
    } catch {
      if (!list.isConnected) return;
      list.dataset.consentsState = 'failed';
      replaceChildren(list, h('p', { class: 'notice notice-failed' }, w.failed));
    }
  };

  const done = async (message: string) => {
    await load();
    announce.textContent = message;
    announce.focus();
  };

  function revokeButton(c: Consent): HTMLElement {
    const button = h('button', { type: 'button', class: 'secondary' }, w.revoke);
    const error = h('p', { class: 'form-error', role: 'alert' });
    button.addEventListener('click', () => {
      button.disabled = true;
      void call(() =>
        api.records.DELETE('/v1/consents/{id}', { params: { path: { id: c.id } } }),
      ).then(
        () => done(w.revoked),
        (cause: unknown) => {
          button.disabled = false;
          const code = cause instanceof ResidentError ? cause.code : 'unavailable';
          if (code === 'not_found') void done(w.reasons.not_found ?? '');
          else error.textContent = w.reasons[code] ?? w.reasons.unavailable ?? '';
        },
      );
    });
    return h('div', { class: 'resident-case-actions' }, button, error);
  }

  void names.then(([departments, types]) => {
    if (!grantBox.isConnected) return;
    replaceChildren(
      grantBox,
      grantForm(api, departments, types, (m) => done(m)),
    );
  });
  replaceChildren(list, h('p', {}, w.loading));
  void load();
  return section;
}

function grantForm(
  api: ResidentApi,
  departments: Map<string, DepartmentName>,
  types: Map<string, { code: string; name: { zh: string; en: string } }>,
  done: (message: string) => Promise<void>,
): HTMLElement {
  const w = words();
  const select = (id: string, name: string, options: [string, string][]) =>
    h(
      'select',
      { id, name, required: true },
      h('option', { value: '' }, w.choose),
      ...options.map(([value, label]) => h('option', { value }, label)),
    );
  const department = select(
    'consent-department',
    'department',
    [...departments].map(([code, name]) => [code, nameIn(name)]),
  );
  const recordType = select(
    'consent-record-type',
    'recordType',
    [...types.values()].map((t) => [t.code, nameIn(t.name)]),
  );
  const purpose = h('input', {
    id: 'consent-purpose',
    name: 'purpose',
    required: true,
    pattern: PURPOSE,
    maxlength: 64,
    autocomplete: 'off',
    autocapitalize: 'none',
    spellcheck: 'false',
    'aria-describedby': 'consent-purpose-hint',
  });
  const until = h('input', {
    id: 'consent-until',
    name: 'until',
    type: 'date',
    required: true,
    min: cityDate(1),
    max: cityDate(364),
    value: cityDate(90),
    'aria-describedby': 'consent-until-hint',
  });
  const submit = h('button', { type: 'submit' }, w.grant);
  const status = h('p', { class: 'form-error', role: 'alert' });
  const field = (control: HTMLElement, label: string, hint?: HTMLElement) =>
    h(
      'div',
      { class: 'resident-field' },
      h('label', { for: control.id }, label),
      hint ?? null,
      control,
    );
  const form = h(
    'form',
    { class: 'resident-consent-grant', novalidate: true, 'aria-labelledby': 'consent-grant-title' },
    h('h3', { id: 'consent-grant-title' }, w.grantTitle),
    field(department, w.department),
    field(recordType, w.recordType),
    field(purpose, w.purpose, h('p', { class: 'hint', id: 'consent-purpose-hint' }, w.purposeHint)),
    field(until, w.until, h('p', { class: 'hint', id: 'consent-until-hint' }, w.untilHint)),
    h('div', { class: 'button-row' }, submit),
    status,
  );
  let key = crypto.randomUUID();
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    purpose.value = purpose.value.trim();
    const controls = [department, recordType, purpose, until];
    const invalid = controls.filter((c) => !c.checkValidity() || c.value === '');
    for (const c of controls) {
      if (invalid.includes(c)) c.setAttribute('aria-invalid', 'true');
      else c.removeAttribute('aria-invalid');
    }
    if (invalid.length > 0) {
      status.textContent = w.invalid;
      invalid[0]?.focus();
      return;
    }
    status.textContent = '';
    submit.disabled = true;
    void call(() =>
      api.records.POST('/v1/consents', {
        headers: { 'idempotency-key': key },
        body: {
          department: department.value,
          recordType: recordType.value,
          purpose: purpose.value,
          // The end of the chosen day in the city.
          expiresAt: `${until.value}T23:59:59+08:00`,
        },
      }),
    )
      .then(
        () => {
          key = crypto.randomUUID();
          form.reset();
          return done(w.granted);
        },
        (cause: unknown) => {
          const code = cause instanceof ResidentError ? cause.code : 'unavailable';
          status.textContent = w.reasons[code] ?? w.reasons.unavailable ?? '';
        },
      )
      .finally(() => {
        submit.disabled = false;
      });
  });
  return form;
}
