import QRCode from 'qrcode';
import { h } from '../../dom.js';
import { type ResidentApi, ResidentError, refusal } from './session.js';
import { words } from './words.js';

/** A new code is asked for this long before the shown one expires (tokens live 60 s). */
const RENEW_BEFORE_MS = 10_000;
/** After a failure, the next try comes this much later. */
const RETRY_MS = 5_000;
/** The QR is drawn at most this wide (CSS px); modules stay whole device pixels. */
const MAX_CSS_WIDTH = 320;

/**
 * Draws `text` as a QR code (ECC M, a 4-module quiet zone, as identity prints them) with every
 * module a whole number of device pixels, so the code stays sharp for a counter's camera.
 */
export function drawQr(canvas: HTMLCanvasElement, text: string, cssWidth: number): void {
  const qr = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const size = qr.modules.size;
  const quiet = 4;
  const total = size + 2 * quiet;
  const ratio = window.devicePixelRatio || 1;
  const scale = Math.max(1, Math.floor((Math.min(cssWidth, MAX_CSS_WIDTH) * ratio) / total));
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
 * The live presentation QR: a fresh token from identity (`POST /v1/presentations`, DPoP-bound),
 * drawn in the browser, a countdown to its expiry, a new one before that, and nothing while the
 * page is hidden (no token is asked for that nobody can see).
 */
export function liveQr(api: ResidentApi): HTMLElement {
  const w = words();
  const canvas = h('canvas', {
    class: 'resident-qr-canvas',
    role: 'img',
    'aria-label': w.qrAlt,
    'data-field': 'qr',
  });
  const countdown = h('p', { class: 'resident-qr-countdown', 'data-field': 'countdown' });
  const status = h('p', { class: 'resident-qr-status', role: 'status' }, w.qrLoading);
  const frame = h('div', { class: 'resident-qr-frame', hidden: true }, canvas);
  const section = h(
    'section',
    { class: 'resident-qr', 'aria-labelledby': 'resident-qr-title', 'data-qr-state': 'loading' },
    h('h2', { id: 'resident-qr-title' }, w.qrTitle),
    h('p', { class: 'hint' }, w.qrHint),
    frame,
    countdown,
    status,
  );

  let expiresAt = 0;
  let timer: number | undefined;
  /** The generation a request in flight was made for; a stale one does not block a new one. */
  let asking: number | undefined;
  let generation = 0;

  const stop = () => {
    if (timer !== undefined) window.clearTimeout(timer);
    timer = undefined;
    generation++;
  };
  const setState = (state: string, message: string) => {
    section.dataset.qrState = state;
    status.textContent = message;
  };

  const tick = () => {
    timer = undefined;
    if (!section.isConnected) {
      // The page was left or redrawn: this QR stops for good.
      stop();
      document.removeEventListener('visibilitychange', onVisibility);
      return;
    }
    const left = expiresAt - Date.now();
    if (left <= RENEW_BEFORE_MS) {
      void renew();
      return;
    }
    countdown.textContent = w.qrCountdown(Math.ceil(left / 1000));
    // Wake on the next whole second of the countdown.
    timer = window.setTimeout(tick, ((left - 1) % 1000) + 1);
  };

  async function renew(): Promise<void> {
    const mine = generation;
    if (asking === mine) return;
    asking = mine;
    if (expiresAt > Date.now()) setState('renewing', w.qrRenewing);
    try {
      const res = await api.identity
        .POST('/v1/presentations', { body: {} })
        .catch((cause: unknown) => {
          throw cause instanceof ResidentError ? cause : new ResidentError('unavailable', 0);
        });
      if (!res.data) throw refusal(res);
      if (mine !== generation) return;
      expiresAt = Date.parse(res.data.expiresAt);
      drawQr(canvas, res.data.token, frame.parentElement?.clientWidth ?? MAX_CSS_WIDTH);
      canvas.dataset.expiresAt = res.data.expiresAt;
      frame.hidden = false;
      setState('shown', '');
      timer = window.setTimeout(tick, 0);
    } catch (cause) {
      if (mine !== generation) return;
      const code = cause instanceof ResidentError ? cause.code : 'unavailable';
      const signIn = code === 'invalid_dpop_proof' || code === 'unauthorized';
      const final = signIn || code === 'credential_revoked' || code === 'credential_suspended';
      if (Date.now() >= expiresAt) {
        frame.hidden = true;
        countdown.textContent = '';
      }
      const message = signIn ? w.signInFailed : (w.qrFailed[code] ?? w.qrFailed.unavailable ?? '');
      setState(final ? code : 'retrying', message);
      if (!final) timer = window.setTimeout(() => void renew(), RETRY_MS);
    } finally {
      if (asking === mine) asking = undefined;
    }
  }

  function onVisibility(): void {
    if (!section.isConnected) {
      document.removeEventListener('visibilitychange', onVisibility);
      stop();
      return;
    }
    if (document.visibilityState === 'hidden') {
      stop();
      // A code left on a hidden screen is of no use; it is not shown again when it comes back.
      expiresAt = 0;
      frame.hidden = true;
      countdown.textContent = '';
      setState('paused', w.qrPaused);
    } else {
      setState('loading', w.qrLoading);
      void renew();
    }
  }

  document.addEventListener('visibilitychange', onVisibility);
  if (document.visibilityState === 'hidden') {
    setState('paused', w.qrPaused);
  } else {
    // After the section is in the page, so its width is known.
    queueMicrotask(() => void renew());
  }
  return section;
}
