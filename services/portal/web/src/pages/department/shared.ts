import type { DepartmentName } from '../../api.js';
import { type Child, h } from '../../dom.js';
import { locale } from '../../i18n.js';
import type { PageContext } from '../../page.js';
import { type StaffApi, type StaffSession, staffBar } from '../../staff-session.js';
import { SLA_TONE, type SlaState, STATUS_TONE } from './model.js';
import { words } from './words.js';

/** What the department page's parts share: the signed-in officer and their clients. */
export interface DepartmentPage {
  readonly ctx: PageContext;
  readonly session: StaffSession;
  readonly api: StaffApi;
  readonly departments: Promise<Map<string, DepartmentName>>;
  /** The token was refused (expired or revoked): back to the sign-in form, saying why. */
  readonly sessionEnded: () => void;
  /** Draws the page for the current address again. */
  readonly redraw: () => void;
}

export const nameIn = (name: { zh: string; en: string }) =>
  locale() === 'zh-CN' ? name.zh : name.en;

export function departmentName(names: Map<string, DepartmentName>, code: string): string {
  const name = names.get(code);
  return name ? nameIn(name) : code;
}

/** The status in words, coloured by its family. */
export function statusBadge(status: string, labels: Record<string, string>): HTMLElement {
  return h(
    'span',
    { class: `badge tone-${STATUS_TONE[status] ?? 'idle'}`, 'data-status': status },
    labels[status] ?? status,
  );
}

/** On time / due soon / overdue: in words, and coloured, and marked with a shape. */
export function slaBadge(state: SlaState): HTMLElement {
  return h(
    'span',
    { class: `badge sla-badge tone-${SLA_TONE[state]}`, 'data-sla': state },
    words().sla[state] ?? state,
  );
}

export function row(term: string, ...value: Child[]): HTMLElement[] {
  return [h('dt', {}, term), h('dd', {}, ...value)];
}

/** A form or record value as plain text; structured values as their JSON. */
export function valueText(value: unknown): string {
  if (value === null || value === undefined) return words().notYet;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** The page's heading and the signed-in bar, the same on the queue and on a case. */
export function pageHead(page: DepartmentPage, title: string): HTMLElement[] {
  const heading = h('h1', { tabindex: -1 }, title);
  return [heading, staffBar(page.session, page.redraw)];
}

/** The code an error answer carries, or `unavailable`. */
export function problemCode(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : 'unavailable';
}

/** A message to show once, on the next drawing of the queue (after a decision). */
export interface Notice {
  readonly text: string;
  readonly caseId: string;
}
let pending: Notice | undefined;

export function leaveNotice(notice: Notice): void {
  pending = notice;
}

export function takeNotice(): Notice | undefined {
  const notice = pending;
  pending = undefined;
  return notice;
}

let recordTypeNames: Promise<Map<string, DepartmentName>> | undefined;

/** The public list of record types, code → names; empty if it cannot be read. */
export function recordTypes(ctx: PageContext): Promise<Map<string, DepartmentName>> {
  recordTypeNames ??= ctx.api.records
    .GET('/v1/record-types', { params: { query: { limit: 200 } } })
    .then((res) => new Map((res.data?.items ?? []).map((t) => [t.code, t.name] as const)))
    .catch(() => new Map<string, DepartmentName>());
  return recordTypeNames;
}
