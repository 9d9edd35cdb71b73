import type { IdentityPaths } from '@tongban/clients';
import QRCode from 'qrcode';
import { h } from '../../dom.js';
import { dateTime } from '../../format.js';
import { locale } from '../../i18n.js';
import type { StaffApi } from '../../staff-session.js';
import type { Outcome } from './api.js';
import type { CounterWords } from './words.js';

/** What identity returns with a one-time activation code (enrolment or a new code). */
export type Activation =
  IdentityPaths['/v1/residents']['post']['responses'][201]['content']['application/json']['activation'];

export type EnrolBody =
  IdentityPaths['/v1/residents']['post']['requestBody']['content']['application/json'];

export interface Issued {
  readonly subjectId: string;
  readonly activation: Activation;
}

function refusal<T>(res: { error?: unknown }): Outcome<T> {
  const problem = (res.error ?? {}) as { code?: unknown; errors?: unknown };
  const code = typeof problem.code === 'string' ? problem.code : 'unavailable';
  const errors = Array.isArray(problem.errors)
    ? problem.errors.filter(
        (e): e is { field: string; message: string } =>
          typeof e === 'object' &&
          e !== null &&
          typeof (e as { field?: unknown }).field === 'string' &&
          typeof (e as { message?: unknown }).message === 'string',
      )
    : undefined;
  return { ok: false, code, ...(errors?.length ? { errors } : {}) };
}

async function attempt<T>(run: () => Promise<Outcome<T>>): Promise<Outcome<T>> {
  try {
    return await run();
  } catch {
    return { ok: false, code: 'unavailable' };
  }
}

/** POST /v1/residents: enrols the resident in front of the clerk; the key makes a retry safe. */
export function enrolResident(
  api: StaffApi,
  body: EnrolBody,
  idempotencyKey: string,
): Promise<Outcome<Issued>> {
  return attempt(async () => {
    const res = await api.identity.POST('/v1/residents', {
      headers: { 'idempotency-key': idempotencyKey },
      body,
    });
    return res.data
      ? { ok: true, value: { subjectId: res.data.subjectId, activation: res.data.activation } }
      : refusal(res);
  });
}

/** POST /v1/residents/{subjectId}/activation-codes: a new code; earlier unused ones are void. */
export function newActivationCode(
  api: StaffApi,
  subjectId: string,
  idempotencyKey: string,
): Promise<Outcome<Issued>> {
  return attempt(async () => {
    const res = await api.identity.POST('/v1/residents/{subjectId}/activation-codes', {
      params: { path: { subjectId } },
      headers: { 'idempotency-key': idempotencyKey },
    });
    return res.data ? { ok: true, value: res.data } : refusal(res);
  });
}

/** The QR is drawn this wide at most (CSS px); modules stay whole device pixels. */
const QR_CSS_WIDTH = 240;

/** `text` as a QR code (ECC M, 4-module quiet zone, as identity prints it), sharp at any zoom. */
export function drawQr(canvas: HTMLCanvasElement, text: string): void {
  const qr = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const size = qr.modules.size;
  const quiet = 4;
  const total = size + 2 * quiet;
  const ratio = window.devicePixelRatio || 1;
  const scale = Math.max(1, Math.floor((QR_CSS_WIDTH * ratio) / total));
  const pixels = total * scale;
  canvas.width = pixels;
  canvas.height = pixels;
  canvas.style.width = `${pixels / ratio}px`;
  canvas.style.height = `${pixels / ratio}px`;
  const g = canvas.getContext('2d');
  if (!g) return;
  g.fillStyle = '#ffffff';
  g.fillRect(0, 0, pixels, pixels);
  g.fillStyle = '#000000';
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      if (qr.modules.get(row, col)) {
        g.fillRect((col + quiet) * scale, (row + quiet) * scale, scale, scale);
      }
    }
  }
}

/**
 * The printable activation letter: resident id, code, QR (drawn here from `qrText`), what the
 * QR holds, the expiry, and a Print button that prints this letter and nothing else.
 */
export function activationLetter(
  issued: Issued,
  w: CounterWords,
  options: { id: string; title: string; notes: readonly string[] },
): HTMLElement {
  const { activation } = issued;
  const canvas = h('canvas', {
    class: 'activation-qr',
    role: 'img',
    'aria-label': w.letterQrAlt(activation.code),
    'data-field': 'activation-qr',
  });
  drawQr(canvas, activation.qrText);
  const print = h('button', { type: 'button', class: 'activation-print' }, w.letterPrint);
  const letter = h(
    'section',
    { id: options.id, class: 'case activation-letter', 'aria-labelledby': `${options.id}-title` },
    h(
      'h3',
      { id: `${options.id}-title`, class: 'activation-screen-title', tabindex: -1 },
      options.title,
    ),
    ...options.notes.map((note) => h('p', { class: 'activation-note' }, note)),
    h('h4', { class: 'activation-print-title' }, w.letterTitle),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, w.letterSubject),
      h('dd', {}, h('code', { 'data-field': 'activation-subject' }, issued.subjectId)),
      h('dt', {}, w.letterCode),
      h(
        'dd',
        {},
        h('strong', { class: 'activation-code', 'data-field': 'activation-code' }, activation.code),
      ),
      h('dt', {}, w.letterExpires),
      h(
        'dd',
        {},
        h(
          'span',
          { 'data-field': 'activation-expires', 'data-expires-at': activation.expiresAt },
          dateTime(activation.expiresAt, locale()),
        ),
        ` (${w.letterCityTime})`,
      ),
    ),
    h('div', { class: 'activation-qr-frame' }, canvas),
    h(
      'p',
      { class: 'activation-qr-text' },
      `${w.letterQrText}: `,
      h('code', { 'data-field': 'activation-qr-text' }, activation.qrText),
    ),
    h('p', { class: 'activation-how' }, w.letterHowTo),
    print,
  );
  print.addEventListener('click', () => {
    // Only the letter marked for printing is printed (counter.css, @media print).
    for (const other of document.querySelectorAll('.activation-letter[data-print]')) {
      other.removeAttribute('data-print');
    }
    letter.dataset.print = 'this';
    document.documentElement.dataset.printing = 'activation-letter';
    const done = () => {
      delete document.documentElement.dataset.printing;
      delete letter.dataset.print;
      window.removeEventListener('afterprint', done);
    };
    window.addEventListener('afterprint', done);
    window.print();
  });
  return letter;
}
