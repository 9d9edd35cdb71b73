import { Resvg } from '@resvg/resvg-js';
import { errors } from '@tongban/service-kit';
import type { WorkingDayCalendar } from '@tongban/working-days';
import QRCode from 'qrcode';
import { caseTasks, findCase } from '../../db/queries/cases.js';
import { seesCase } from './access.js';
import type { CaseContext } from './context.js';
import type { DefinitionLookup } from './definitions.js';

export interface ReceiptData {
  readonly service: { readonly zh: string; readonly en: string };
  readonly number: string;
  readonly trackingCode: string;
  readonly trackingUrl: string;
  readonly submittedAt: Date;
  readonly dueAt: Date | null;
}

const escapeXml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** `2026-03-02 09:00` in the city's time zone. */
function localTime(calendar: WorkingDayCalendar, at: Date): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: calendar.timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}`;
}

/** The last day allowed: a due instant is 24:00 of that day, i.e. the next day's 00:00. */
const lastDay = (calendar: WorkingDayCalendar, due: Date) =>
  calendar.localDateOf(new Date(due.getTime() - 1));

const grouped = (code: string) => code.match(/.{1,5}/g)?.join('-') ?? code;

/**
 * The printed receipt (A6 portrait): the service, the case number, when it was accepted and by
 * when it is due, and a QR of the public tracking URL with the tracking code spelled out beside
 * it. It carries no name, ID number or form data, so a lost receipt reveals only that a case
 * exists and where it stands.
 */
export async function receiptSvg(calendar: WorkingDayCalendar, data: ReceiptData): Promise<string> {
  const qr = (await QRCode.toString(data.trackingUrl, {
    type: 'svg',
    errorCorrectionLevel: 'M',
    margin: 2,
  })) as string;
  const qrInner = qr
    .replace(/^<\?xml[^>]*>\s*/, '')
    .replace('<svg ', '<svg x="110" y="300" width="200" height="200" ');
  const line = (y: number, text: string, size: number, weight = 'normal') =>
    `<text x="210" y="${y}" font-size="${size}" font-weight="${weight}" text-anchor="middle">${escapeXml(text)}</text>`;
  const due = data.dueAt === null ? '—' : `${lastDay(calendar, data.dueAt)} 24:00`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<svg xmlns="http://www.w3.org/2000/svg" width="105mm" height="148mm" viewBox="0 0 420 594" font-family="WenQuanYi Micro Hei, Noto Sans CJK SC, Noto Sans SC, PingFang SC, Microsoft YaHei, DejaVu Sans, sans-serif">',
    '<rect width="420" height="594" fill="#fff"/>',
    line(48, '受理回执', 26, 'bold'),
    line(74, 'Application receipt', 14),
    line(116, data.service.zh, 18, 'bold'),
    line(138, data.service.en, 12),
    line(180, `受理编号 Case number: ${data.number}`, 15, 'bold'),
    line(210, `受理时间 Accepted: ${localTime(calendar, data.submittedAt)}`, 13),
    line(236, `承诺办结 Due by: ${due}`, 13),
    line(262, `(${calendar.timeZone})`, 10),
    qrInner,
    line(526, `查询码 Tracking code: ${grouped(data.trackingCode)}`, 12),
    line(552, '扫码查询办理进度，页面不显示个人信息', 11),
    line(572, 'Scan to see where your case stands; no personal data is shown.', 10),
    '</svg>',
  ].join('\n');
}

/** The same receipt as a 300 dpi PNG, for printers and clients that cannot render SVG. */
export async function receiptPng(calendar: WorkingDayCalendar, data: ReceiptData): Promise<Buffer> {
  const svg = await receiptSvg(calendar, data);
  const rendered = new Resvg(svg, {
    fitTo: { mode: 'width', value: 1240 },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
    background: '#ffffff',
  }).render();
  return rendered.asPng();
}

/**
 * Who may fetch a case's receipt: the resident, the department that took the application at its
 * counter (it prints it), and departments working the case.
 */
export async function caseReceipt({
  ctx,
  definitions,
  input,
}: {
  ctx: CaseContext;
  definitions: DefinitionLookup;
  input: { caseId: string };
}): Promise<ReceiptData> {
  const row = await findCase(ctx.db, input.caseId);
  if (row === undefined) throw errors.notFound('No such case.');
  const actor = ctx.actor;
  const allowed =
    actor.kind === 'resident'
      ? actor.subject === row.subjectId
      : (actor.scopes.has('cases:read') || actor.scopes.has('cases:decide')) &&
        (actor.department === row.submittedByDepartment ||
          seesCase(actor, row, await caseTasks(ctx.db, row.id)));
  if (!allowed) throw errors.notFound('No such case.');
  const definition = await definitions(ctx.db, row.serviceCode, row.serviceVersion);
  if (definition === undefined) throw new Error(`missing definition of case ${row.id}`);
  return {
    service: definition.definition.name,
    number: row.number,
    trackingCode: row.trackingCode,
    trackingUrl: `${ctx.settings.trackingBaseUrl}${row.trackingCode}`,
    submittedAt: row.submittedAt,
    dueAt: row.dueAt,
  };
}
