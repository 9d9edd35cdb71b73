import { h, replaceChildren } from '../../dom.js';
import type { CaseTask, CaseView, ReleasedRecord } from './model.js';
import { type DepartmentPage, row, valueText } from './shared.js';
import { words } from './words.js';

type Read =
  | { readonly kind: 'none' }
  | { readonly kind: 'unauthorized' }
  | { readonly kind: 'failed' }
  | {
      readonly kind: 'read';
      readonly results: readonly {
        readonly type: string;
        readonly records: readonly ReleasedRecord[] | undefined;
      }[];
    };

/**
 * "Read records" for the officer's own live step: workflow grants a short-lived case grant for
 * the record types this step reads, and records releases the fields its policy allows for the
 * purpose `case:<id>`, writing each read to the resident's access log. Asked only on a click,
 * never on opening the case, so a read is always one the officer chose to make.
 */
export function renderReadRecords(
  page: DepartmentPage,
  view: CaseView,
  task: CaseTask,
  department: (code: string) => string,
  typeName: (code: string) => string,
): HTMLElement {
  const w = words();
  const button = h('button', { type: 'button', class: 'secondary read-records' }, w.readRecords);
  const out = h('div', { class: 'released', 'aria-live': 'polite' });
  button.addEventListener('click', () => {
    button.disabled = true;
    out.dataset.state = 'loading';
    replaceChildren(out, h('p', {}, w.readingRecords));
    void readRecords(page, view, task).then((read) => {
      button.disabled = false;
      if (!out.isConnected) return;
      if (read.kind === 'unauthorized') {
        page.sessionEnded();
        return;
      }
      out.dataset.state = read.kind;
      if (read.kind === 'none') {
        replaceChildren(out, h('p', { class: 'notice' }, w.noRecordsForStep));
        return;
      }
      if (read.kind === 'failed') {
        replaceChildren(out, h('p', { class: 'notice notice-failed' }, w.failed));
        return;
      }
      replaceChildren(
        out,
        ...read.results.flatMap(({ type, records }) => {
          if (records === undefined) {
            return [h('p', { class: 'notice notice-failed' }, w.recordReadFailed(typeName(type)))];
          }
          if (records.length === 0) {
            return [h('p', { class: 'notice' }, w.noRecordFound(typeName(type)))];
          }
          return records.map((record) =>
            h(
              'section',
              { class: 'released-record', 'data-record-type': record.type },
              h('h5', {}, typeName(record.type)),
              h(
                'p',
                { class: 'hint' },
                w.issuedBy(department(record.issuerDepartment), record.version),
              ),
              h(
                'dl',
                { class: 'facts', 'aria-label': w.releasedFields },
                ...Object.entries(record.data).flatMap(([key, value]) =>
                  row(key, h('span', { 'data-released': key }, valueText(value))),
                ),
              ),
            ),
          );
        }),
      );
    });
  });
  return h(
    'div',
    { class: 'read-records-panel' },
    h('p', { class: 'hint' }, w.readRecordsNote),
    button,
    out,
  );
}

async function readRecords(page: DepartmentPage, view: CaseView, task: CaseTask): Promise<Read> {
  try {
    const grant = await page.api.workflow.POST('/v1/cases/{id}/tasks/{taskId}/case-grant', {
      params: { path: { id: view.id, taskId: task.id } },
    });
    if (!grant.data) {
      if (grant.response.status === 401) return { kind: 'unauthorized' };
      // Workflow answers 404 for a step whose definition reads no records.
      return grant.response.status === 404 ? { kind: 'none' } : { kind: 'failed' };
    }
    const { token, purpose, subjectId, types } = grant.data;
    const results = await Promise.all(
      types.map(async (type) => {
        const res = await page.api.records.GET('/v1/records', {
          params: { query: { subjectId, type, purpose }, header: { 'case-grant': token } },
        });
        return { type, records: res.data?.items };
      }),
    );
    return { kind: 'read', results };
  } catch {
    return { kind: 'failed' };
  }
}
