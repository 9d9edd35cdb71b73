/// <reference types="vite/client" />
import {
  createIdentityClient,
  createRecordsClient,
  createWorkflowClient,
  type IdentityClient,
  type RecordsClient,
  type WorkflowClient,
} from '@tongban/clients';
import { h, replaceChildren } from './dom.js';
import { locale } from './i18n.js';
import type { PageContext } from './page.js';
import {
  passkeyFailure,
  passkeySignIn,
  passkeysSupported,
  passkeyWords,
  registerPasskeyButton,
  type StaffSignInAnswer,
} from './staff-passkeys.js';
import './staff-session.css';

/** A signed-in member of staff, as identity's sign-in answered. */
export interface StaffSession {
  readonly accessToken: string;
  /** Epoch milliseconds after which the token is refused; the session ends then. */
  readonly expiresAt: number;
  readonly username: string;
  readonly displayName: string;
  readonly department: string;
  readonly roles: readonly string[];
}

/** The services with this member's token on every request (through the gateway). */
export interface StaffApi {
  readonly identity: IdentityClient;
  readonly workflow: WorkflowClient;
  readonly records: RecordsClient;
}

// sessionStorage: the token lives as long as the tab, never in a cookie, never shared between
// tabs; it is dropped when it expires (access tokens live 15 minutes).
const KEY = 'tongban.staff-session';

export function currentStaff(now = Date.now()): StaffSession | undefined {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (raw === null) return undefined;
    const session = JSON.parse(raw) as StaffSession;
    if (typeof session.accessToken !== 'string' || session.expiresAt <= now + 5_000) {
      sessionStorage.removeItem(KEY);
      return undefined;
    }
    return session;
  } catch {
    return undefined;
  }
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
}

export function staffApi(session: StaffSession, origin = window.location.origin): StaffApi {
  const token = session.accessToken;
  return {
    identity: createIdentityClient({ baseUrl: `${origin}/api/identity`, token }),
    workflow: createWorkflowClient({ baseUrl: `${origin}/api/workflow`, token }),
    records: createRecordsClient({ baseUrl: `${origin}/api/records`, token }),
  };
}

export type SignInResult =
  | { readonly ok: true; readonly session: StaffSession }
  | { readonly ok: false; readonly code: string };

/** Keeps identity's sign-in answer (password or passkey: the same shape) as this tab's session. */
function keep(answer: StaffSignInAnswer): StaffSession {
  const session: StaffSession = {
    accessToken: answer.accessToken,
    expiresAt: Date.now() + answer.expiresIn * 1000,
    username: answer.staff.username,
    displayName: answer.staff.displayName,
    department: answer.staff.department,
    roles: answer.staff.roles,
  };
  sessionStorage.setItem(KEY, JSON.stringify(session));
  return session;
}

/** Password sign-in (POST /v1/auth/login); a department may require passkeys instead. */
export async function signInWithPassword(
  ctx: Pick<PageContext, 'api'>,
  username: string,
  password: string,
): Promise<SignInResult> {
  try {
    const res = await ctx.api.identity.POST('/v1/auth/login', { body: { username, password } });
    if (res.data === undefined) {
      const code = (res.error as { code?: unknown } | undefined)?.code;
      return { ok: false, code: typeof code === 'string' ? code : 'unavailable' };
    }
    return { ok: true, session: keep(res.data) };
  } catch {
    return { ok: false, code: 'unavailable' };
  }
}

/** Passkey sign-in (POST /v1/auth/passkeys/login): no username; the passkey names its owner. */
export async function signInWithPasskey(ctx: Pick<PageContext, 'api'>): Promise<SignInResult> {
  const result = await passkeySignIn(ctx.api.identity);
  return result.ok ? { ok: true, session: keep(result.value) } : result;
}

const words = {
  'zh-CN': {
    title: '工作人员登录',
    username: '用户名',
    password: '密码',
    submit: '登录',
    signedInAs: '已登录：',
    signOut: '退出登录',
    myPasskeys: '我的通行密钥',
    failed: {
      unauthorized: '用户名或密码不正确。',
      rate_limited: '尝试次数过多，请稍后再试。',
      account_locked: '账户已被锁定，请联系部门管理员。',
      passkey_required: '本部门要求使用通行密钥登录，请点击下方“使用通行密钥登录”。',
      unavailable: '暂时无法登录，请稍后再试。',
    } as Record<string, string>,
  },
  en: {
    title: 'Staff sign-in',
    username: 'Username',
    password: 'Password',
    submit: 'Sign in',
    signedInAs: 'Signed in as ',
    signOut: 'Sign out',
    myPasskeys: 'My passkeys',
    failed: {
      unauthorized: 'The username or password is not right.',
      rate_limited: 'Too many attempts; try again shortly.',
      account_locked: 'The account is locked; ask your department administrator.',
      passkey_required:
        'Your department requires a passkey to sign in: use “Sign in with a passkey” below.',
      unavailable: 'Signing in is not possible right now; try again shortly.',
    } as Record<string, string>,
  },
};

/**
 * The sign-in form, and below it passkey sign-in where the browser supports WebAuthn; calls
 * `onSignedIn` once identity accepted the password or the passkey.
 */
export function renderSignIn(
  ctx: PageContext,
  container: HTMLElement,
  onSignedIn: (session: StaffSession) => void,
): void {
  const w = words[locale()];
  const username = h('input', {
    id: 'staff-username',
    name: 'username',
    autocomplete: 'username',
    required: true,
    maxlength: 64,
  });
  const password = h('input', {
    id: 'staff-password',
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
    maxlength: 256,
  });
  const status = h('p', { class: 'form-error', role: 'alert', 'aria-live': 'assertive' });
  const submit = h('button', { type: 'submit' }, w.submit);
  const form = h(
    'form',
    { class: 'staff-sign-in', novalidate: true, 'aria-labelledby': 'staff-sign-in-title' },
    h('h2', { id: 'staff-sign-in-title' }, w.title),
    h('label', { for: 'staff-username' }, w.username),
    username,
    h('label', { for: 'staff-password' }, w.password),
    password,
    submit,
    status,
  );
  const passkey = passkeysSupported() ? passkeySection(ctx, onSignedIn) : undefined;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit.disabled = true;
    void signInWithPassword(ctx, username.value.trim(), password.value)
      .then((result) => {
        if (result.ok) {
          onSignedIn(result.session);
          return;
        }
        status.textContent = w.failed[result.code] ?? w.failed.unavailable ?? '';
        password.value = '';
        // The department takes passkeys only: the way forward is the passkey button.
        if (result.code === 'passkey_required' && passkey) passkey.button.focus();
        else password.focus();
      })
      .finally(() => {
        submit.disabled = false;
      });
  });
  replaceChildren(container, form, passkey?.section);
  username.focus();
}

function passkeySection(
  ctx: PageContext,
  onSignedIn: (session: StaffSession) => void,
): { section: HTMLElement; button: HTMLButtonElement } {
  const w = passkeyWords();
  const status = h('p', { class: 'form-error', role: 'alert', 'aria-live': 'assertive' });
  const button = h(
    'button',
    {
      type: 'button',
      'data-action': 'passkey-sign-in',
      'aria-describedby': 'staff-passkey-hint',
    },
    w.signInWithPasskey,
  );
  button.addEventListener('click', () => {
    button.disabled = true;
    status.textContent = '';
    void signInWithPasskey(ctx)
      .then((result) => {
        if (result.ok) {
          onSignedIn(result.session);
          return;
        }
        status.textContent = passkeyFailure(result.code);
        button.focus();
      })
      .finally(() => {
        button.disabled = false;
      });
  });
  const section = h(
    'section',
    { class: 'staff-passkey-sign-in', 'aria-labelledby': 'staff-passkey-title' },
    h('h2', { id: 'staff-passkey-title' }, w.passkeyTitle),
    button,
    h('p', { id: 'staff-passkey-hint', class: 'hint' }, w.passkeyHint),
    status,
  );
  return { section, button };
}

/**
 * "Signed in as …" with a sign-out button, for the top of a staff page; also registers a passkey
 * for this member and links to the page listing their passkeys.
 */
export function staffBar(
  session: StaffSession,
  onSignOut: () => void,
  options: { readonly onPasskeyRegistered?: () => void } = {},
): HTMLElement {
  const w = words[locale()];
  const out = h('button', { type: 'button', class: 'secondary' }, w.signOut);
  out.addEventListener('click', () => {
    signOut();
    onSignOut();
  });
  const status = h('span', { class: 'staff-bar-status', role: 'status' });
  const register = passkeysSupported()
    ? registerPasskeyButton(staffApi(session).identity, status, {
        className: 'secondary',
        onRegistered: () => options.onPasskeyRegistered?.(),
      })
    : undefined;
  return h(
    'div',
    { class: 'staff-bar' },
    h(
      'span',
      { class: 'staff-bar-who' },
      w.signedInAs,
      `${session.displayName} (${session.department})`,
    ),
    h('a', { href: '/staff', 'data-link': true }, w.myPasskeys),
    register,
    out,
    status,
  );
}
