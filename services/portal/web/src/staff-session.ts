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
    const session: StaffSession = {
      accessToken: res.data.accessToken,
      expiresAt: Date.now() + res.data.expiresIn * 1000,
      username: res.data.staff.username,
      displayName: res.data.staff.displayName,
      department: res.data.staff.department,
      roles: res.data.staff.roles,
    };
    sessionStorage.setItem(KEY, JSON.stringify(session));
    return { ok: true, session };
  } catch {
    return { ok: false, code: 'unavailable' };
  }
}

const words = {
  'zh-CN': {
    title: '工作人员登录',
    username: '用户名',
    password: '密码',
    submit: '登录',
    signedInAs: '已登录：',
    signOut: '退出登录',
    failed: {
      unauthorized: '用户名或密码不正确。',
      rate_limited: '尝试次数过多，请稍后再试。',
      account_locked: '账户已被锁定，请联系部门管理员。',
      passkey_required: '本部门要求使用通行密钥登录。',
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
    failed: {
      unauthorized: 'The username or password is not right.',
      rate_limited: 'Too many attempts; try again shortly.',
      account_locked: 'The account is locked; ask your department administrator.',
      passkey_required: 'Your department requires a passkey to sign in.',
      unavailable: 'Signing in is not possible right now; try again shortly.',
    } as Record<string, string>,
  },
};

/** The sign-in form; calls `onSignedIn` once identity accepted the password. */
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
        password.focus();
      })
      .finally(() => {
        submit.disabled = false;
      });
  });
  replaceChildren(container, form);
  username.focus();
}

/** "Signed in as …" with a sign-out button, for the top of a staff page. */
export function staffBar(session: StaffSession, onSignOut: () => void): HTMLElement {
  const w = words[locale()];
  const out = h('button', { type: 'button', class: 'secondary' }, w.signOut);
  out.addEventListener('click', () => {
    signOut();
    onSignOut();
  });
  return h(
    'div',
    { class: 'staff-bar' },
    h('span', {}, w.signedInAs, `${session.displayName} (${session.department})`),
    out,
  );
}
