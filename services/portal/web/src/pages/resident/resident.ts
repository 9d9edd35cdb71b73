/// <reference path="./styles.d.ts" />
import { h, replaceChildren } from '../../dom.js';
import { type PageContext, setTitle } from '../../page.js';
import { applyForService } from './apply.js';
import { CASES_CHANGED, myCases } from './cases.js';
import { myConsents } from './consents.js';
import { type Device, forgetDevice, loadDevice } from './device.js';
import { liveQr } from './qr.js';
import { activateDevice, type ResidentApi, ResidentError, residentApi } from './session.js';
import { myAccessLog, myVerifications } from './transparency.js';
import { words } from './words.js';
import './resident.css';
import './services.css';

// The session outlives a redraw (a language switch), so the page does not sign in again; it is
// dropped with the device.
let session: ResidentApi | undefined;

function apiFor(device: Device): ResidentApi {
  if (session?.device.deviceId !== device.deviceId) {
    session = residentApi(device, window.location.origin);
  }
  return session;
}

/** 16 Crockford characters however they were typed (spaces, hyphens, lower case). */
/** What the activation letter's QR holds (`tongban:activate:<code>`), or a bare code. */
export function codeFromLetterQr(text: string): string | undefined {
  const match = /^tongban:activate:(.+)$/i.exec(text.trim());
  return normaliseCode(match ? (match[1] ?? '') : text);
}

function normaliseCode(input: string): string | undefined {
  const code = input.toUpperCase().replace(/[\s-]+/g, '');
  return /^[0-9A-Z]{16}$/.test(code) ? code : undefined;
}

/**
 * `/resident`: the resident's own page. Without a device in this browser it activates one with
 * the code from the resident's letter; with one it shows the live identity QR, the resident's
 * cases, who verified them and who read their data.
 */
export function renderResident(ctx: PageContext): void {
  const w = words();
  setTitle(w.title);
  const body = h('div', { class: 'resident', 'data-resident-state': 'checking' });
  replaceChildren(
    ctx.main,
    h('h1', { tabindex: -1 }, w.title),
    h('p', { class: 'lead' }, w.intro),
    body,
  );
  replaceChildren(body, h('p', { role: 'status' }, w.checking));
  void loadDevice().then(
    (device) => {
      if (!body.isConnected) return;
      if (device) showDevice(ctx, body, device);
      else showActivation(ctx, body);
    },
    () => {
      if (!body.isConnected) return;
      body.dataset.residentState = 'no-storage';
      replaceChildren(body, h('p', { class: 'notice notice-failed' }, w.storageUnavailable));
    },
  );
}

function showActivation(ctx: PageContext, body: HTMLElement): void {
  const w = words();
  body.dataset.residentState = 'activate';
  const input = h('input', {
    id: 'activation-code',
    name: 'activationCode',
    autocomplete: 'one-time-code',
    autocapitalize: 'characters',
    spellcheck: 'false',
    inputmode: 'text',
    required: true,
    maxlength: 40,
    'aria-describedby': 'activation-hint activation-error',
  });
  const error = h('p', { id: 'activation-error', class: 'form-error', role: 'alert' });
  const submit = h('button', { type: 'submit' }, w.activateSubmit);
  const form = h(
    'form',
    { class: 'resident-activate', novalidate: true, 'aria-labelledby': 'activate-title' },
    h('h2', { id: 'activate-title' }, w.activateTitle),
    h('p', { id: 'activation-hint', class: 'hint' }, w.activateHint),
    h('label', { for: 'activation-code' }, w.codeLabel),
    h('div', { class: 'field-row' }, input, submit),
    error,
    h('p', { class: 'note' }, w.keyNote),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const code = normaliseCode(input.value);
    if (code === undefined) {
      error.textContent = w.activateFailed.validation_failed ?? '';
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return;
    }
    submit.disabled = true;
    error.textContent = '';
    input.removeAttribute('aria-invalid');
    body.dataset.residentState = 'activating';
    submit.textContent = w.activating;
    void activateDevice(code, w.deviceLabel, window.location.origin)
      .then((device) => {
        if (!body.isConnected) return;
        showDevice(ctx, body, device);
        body.querySelector<HTMLElement>('#resident-qr-title')?.focus();
      })
      .catch((cause: unknown) => {
        if (!body.isConnected) return;
        const reason = cause instanceof ResidentError ? cause.code : 'unavailable';
        body.dataset.residentState = 'activate';
        error.textContent = w.activateFailed[reason] ?? w.activateFailed.unavailable ?? '';
        input.setAttribute('aria-invalid', 'true');
        submit.disabled = false;
        submit.textContent = w.activateSubmit;
        input.focus();
      });
  });
  // The letter's QR, photographed: decoded in the browser (jsQR, loaded only now), then the same
  // activation as a typed code.
  const photo = h('input', {
    id: 'activation-photo',
    type: 'file',
    accept: 'image/*',
    capture: 'environment',
    'aria-describedby': 'activation-error',
  });
  photo.addEventListener('change', () => {
    const file = photo.files?.[0];
    if (file === undefined) return;
    error.textContent = '';
    void import('../counter/scan.js')
      .then((scan) => scan.decodeFile(file))
      .then((text) => {
        const code = text === undefined ? undefined : codeFromLetterQr(text);
        if (code === undefined) {
          error.textContent = w.scanLetterFailed;
          return;
        }
        input.value = code;
        form.requestSubmit();
      })
      .catch(() => {
        error.textContent = w.scanLetterFailed;
      });
  });
  form.append(
    h(
      'div',
      { class: 'resident-activate-photo' },
      h('label', { for: 'activation-photo' }, w.scanLetterLabel),
      photo,
    ),
  );
  replaceChildren(body, form);
}

function showDevice(ctx: PageContext, body: HTMLElement, device: Device): void {
  const api = apiFor(device);
  body.dataset.residentState = 'active';
  const qr = liveQr(api);
  qr.querySelector('h2')?.setAttribute('tabindex', '-1');
  const cases = myCases(ctx, api);
  replaceChildren(
    body,
    qr,
    applyForService(ctx, api, () => cases.dispatchEvent(new Event(CASES_CHANGED))),
    cases,
    myConsents(ctx, api),
    myVerifications(api),
    myAccessLog(ctx, api),
    deviceFooter(ctx, body, device),
  );
}

function deviceFooter(ctx: PageContext, body: HTMLElement, device: Device): HTMLElement {
  const w = words();
  const forget = h('button', { type: 'button', class: 'secondary' }, w.forget);
  const area = h('div', { class: 'resident-forget' });
  const section = h(
    'section',
    { class: 'resident-device', 'aria-label': w.forget },
    h('p', { class: 'note' }, w.activeAs(device.deviceId)),
    area,
  );
  const ask = () => {
    const confirm = h('button', { type: 'button', class: 'danger' }, w.forgetConfirm);
    const cancel = h('button', { type: 'button', class: 'secondary' }, w.forgetCancel);
    confirm.addEventListener('click', () => {
      confirm.disabled = true;
      void forgetDevice().finally(() => {
        session = undefined;
        if (!body.isConnected) return;
        showActivation(ctx, body);
        body.querySelector<HTMLInputElement>('#activation-code')?.focus();
      });
    });
    cancel.addEventListener('click', () => {
      replaceChildren(area, forget);
      forget.focus();
    });
    replaceChildren(area, h('p', { role: 'alert' }, w.forgetWarning), confirm, ' ', cancel);
    cancel.focus();
  };
  forget.addEventListener('click', ask);
  replaceChildren(area, forget);
  return section;
}
