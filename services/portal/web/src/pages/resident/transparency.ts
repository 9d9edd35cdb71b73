import { type AccessLogItem, checkLog, type LogCheck } from '@tongban/access-log';
import type { IdentityPaths } from '@tongban/clients';
import { type DepartmentName, departmentNames } from '../../api.js';
import { h, replaceChildren } from '../../dom.js';
import { dateTime } from '../../format.js';
import { locale } from '../../i18n.js';
import type { PageContext } from '../../page.js';
import { type ResidentApi, ResidentError, refusal } from './session.js';
import { words } from './words.js';

type Verification =
  IdentityPaths['/v1/me/verifications']['get']['responses'][200]['content']['application/json']['items'][number];

const MAX_PAGES = 20;
/** The head can move between two pages of the log; the listing is read again this many times. */
const MAX_LISTINGS = 3;

const nameIn = (name: { zh: string; en: string }) => (locale() === 'zh-CN' ? name.zh : name.en);

async function call<T>(
  request: () => Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const res = await request().catch((cause: unknown) => {
    throw cause instanceof ResidentError ? cause : new ResidentError('unavailable', 0);
  });
  if (res.data === undefined) throw refusal(res);
  return res.data;
}

/** "Who verified me": every scan of the resident's QR and every ID-card check at a counter. */
export function myVerifications(api: ResidentApi): HTMLElement {
  const w = words();
  const lang = locale();
  const content = h('div', { 'data-verifications-state': 'loading' }, h('p', {}, w.loading));
  const section = h(
    'section',
    { class: 'resident-verifications', 'aria-labelledby': 'resident-verifications-title' },
    h('h2', { id: 'resident-verifications-title' }, w.verificationsTitle),
    content,
  );
  void (async () => {
    const items: Verification[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const data = await call(() =>
        api.identity.GET('/v1/me/verifications', {
          params: { query: { limit: 200, ...(cursor ? { cursor } : {}) } },
        }),
      );
      items.push(...data.items);
      cursor = data.nextCursor ?? undefined;
      if (!cursor) break;
    }
    return items;
  })().then(
    (items) => {
      if (!content.isConnected) return;
      content.dataset.verificationsState = items.length === 0 ? 'none' : 'shown';
      replaceChildren(
        content,
        items.length === 0
          ? h('p', {}, w.verificationsNone)
          : h(
              'ol',
              { class: 'resident-records' },
              ...items.map((v) =>
                h(
                  'li',
                  { 'data-method': v.method },
                  h('time', { datetime: v.verifiedAt }, dateTime(v.verifiedAt, lang)),
                  h(
                    'span',
                    { class: 'resident-record-main' },
                    nameIn(v.verifier.department.name),
                    ' · ',
                    w.methods[v.method] ?? v.method,
                  ),
                  v.counter
                    ? h(
                        'span',
                        { class: 'resident-record-detail' },
                        w.verifiedCounter,
                        ': ',
                        v.counter,
                      )
                    : null,
                ),
              ),
            ),
      );
    },
    () => {
      if (!content.isConnected) return;
      content.dataset.verificationsState = 'failed';
      replaceChildren(content, h('p', { class: 'notice notice-failed' }, w.verificationsFailed));
    },
  );
  return section;
}

/** Every page of the resident's log under one head; a page read under another head starts over. */
async function listAccessLog(
  api: ResidentApi,
): Promise<{ checkpoint: string | null; items: AccessLogItem[] }> {
  for (let listing = 1; ; listing++) {
    const items: AccessLogItem[] = [];
    let checkpoint: string | null | undefined;
    let moved = false;
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const data = await call(() =>
        api.records.GET('/v1/me/access-log', {
          params: { query: { limit: 200, ...(cursor ? { cursor } : {}) } },
        }),
      );
      if (checkpoint === undefined) checkpoint = data.checkpoint;
      else if (data.checkpoint !== checkpoint) moved = true;
      items.push(...(data.items as AccessLogItem[]));
      cursor = data.nextCursor ?? undefined;
      if (!cursor || moved) break;
    }
    if (!moved || listing >= MAX_LISTINGS) return { checkpoint: checkpoint ?? null, items };
  }
}

/**
 * "Who read my data": the resident's access log (`GET /v1/me/access-log`), each entry's
 * inclusion proof checked here in the browser against the signed head with records' key
 * history, by the same verifier anyone can run (@tongban/access-log).
 */
export function myAccessLog(ctx: PageContext, api: ResidentApi): HTMLElement {
  const w = words();
  const lang = locale();
  const content = h('div', { 'data-reads-state': 'loading' }, h('p', {}, w.loading));
  const section = h(
    'section',
    { class: 'resident-reads', 'aria-labelledby': 'resident-reads-title' },
    h('h2', { id: 'resident-reads-title' }, w.readsTitle),
    h('p', { class: 'hint' }, w.readsHint),
    content,
  );
  ctx.cache.departments ??= departmentNames(ctx.api);
  void (async () => {
    const listing = await listAccessLog(api);
    const keys = await call(() => api.publicRecords.GET('/v1/access-log/keys'));
    const check = await checkLog({ checkpoint: listing.checkpoint, items: listing.items, keys });
    return { listing, check, departments: await (ctx.cache.departments ?? new Map()) };
  })().then(
    ({ listing, check, departments }) => {
      if (!content.isConnected) return;
      content.dataset.readsState =
        listing.items.length === 0 ? 'none' : check.ok ? 'verified' : 'invalid';
      replaceChildren(content, ...accessLogView(listing.items, check, departments, lang));
    },
    () => {
      if (!content.isConnected) return;
      content.dataset.readsState = 'failed';
      replaceChildren(content, h('p', { class: 'notice notice-failed' }, w.readsFailed));
    },
  );
  return section;
}

function accessLogView(
  items: readonly AccessLogItem[],
  check: LogCheck,
  departments: Map<string, DepartmentName>,
  lang: ReturnType<typeof locale>,
): HTMLElement[] {
  const w = words();
  if (items.length === 0) return [h('p', {}, w.readsNone)];
  const failedEntries = new Set(check.findings.map((f) => f.entryId).filter(Boolean));
  const pending = new Set(check.pending);
  const status = (id: string) =>
    !check.ok && (failedEntries.has(id) || check.checkpoint === null)
      ? 'invalid'
      : pending.has(id)
        ? 'pending'
        : 'verified';
  const reader = (item: AccessLogItem) => {
    const code = item.entry.readerDepartment;
    if (code) {
      const name = departments.get(code);
      return name ? nameIn(name) : code;
    }
    return item.entry.readerKind === 'resident' ? w.you : item.entry.reader;
  };
  const verdict = check.ok
    ? w.readsVerified(check.included + check.pending.length, check.checkpoint?.treeSize ?? null)
    : w.readsNotVerified;
  return [
    h(
      'p',
      {
        class: `notice ${check.ok ? 'notice-verified' : 'notice-failed'}`,
        'data-field': 'verdict',
      },
      verdict,
    ),
    h(
      'ol',
      { class: 'resident-records' },
      ...items.map((item) => {
        const e = item.entry;
        const state = status(e.id);
        return h(
          'li',
          { 'data-entry-status': state, 'data-outcome': e.outcome },
          h('time', { datetime: e.occurredAt }, dateTime(e.occurredAt, lang)),
          h(
            'span',
            { class: 'resident-record-main' },
            reader(item),
            ' · ',
            e.outcome === 'released' ? w.released : w.refused,
            ' ',
            h(
              'span',
              {
                class: `badge tone-${state === 'verified' ? 'done' : state === 'pending' ? 'waiting' : 'refused'}`,
              },
              w.entryStatus[state] ?? state,
            ),
          ),
          h('span', { class: 'resident-record-detail' }, w.readPurpose, ': ', e.purpose),
          e.recordType
            ? h(
                'span',
                { class: 'resident-record-detail' },
                w.readWhat,
                ': ',
                e.recordType,
                e.fields.length > 0 ? ` (${e.fields.join(', ')})` : '',
              )
            : null,
        );
      }),
    ),
  ];
}
