import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/browser';
import type { IdentityClient, IdentityPaths } from '@tongban/clients';
import { h } from './dom.js';
import { locale } from './i18n.js';

/**
 * Staff passkeys (ADR 0009): the browser half of identity's WebAuthn ceremonies. The library
 * turns identity's JSON options into navigator.credentials calls and the authenticator's answer
 * back into JSON (base64url throughout); identity verifies everything. This module keeps no
 * session: sign-in hands identity's answer to staff-session.ts, which keeps it.
 *
 * The library is loaded on the first passkey step, not with the page: every staff page shows
 * the sign-in form, few visits use a passkey, and the public pages never do.
 */
const webauthn = () => import('@simplewebauthn/browser');

/** What POST /v1/auth/passkeys/login answers: the same as password sign-in. */
export type StaffSignInAnswer =
  IdentityPaths['/v1/auth/passkeys/login']['post']['responses'][200]['content']['application/json'];

export type Passkey =
  IdentityPaths['/v1/me/passkeys']['get']['responses'][200]['content']['application/json']['items'][number];

export type PasskeyResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly code: string };

/** Whether this browser can make and use passkeys at all (WebAuthn in a secure context). */
export function passkeysSupported(): boolean {
  return typeof window.PublicKeyCredential === 'function';
}

function problemCode(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : 'unavailable';
}

/** The extension outputs as the plain JSON object identity's schema takes. */
function extensions(response: {
  readonly clientExtensionResults: object;
}): Record<string, unknown> {
  return { ...response.clientExtensionResults };
}

/**
 * The browser's refusals, as codes the pages explain. A person who closes the prompt, or lets it
 * time out, gets NotAllowedError: the browser deliberately does not say which, so neither do we.
 */
function ceremonyCode(error: unknown): string {
  // The library's WebAuthnError carries a code; the browser's DOMException only a name.
  const code = (error as { code?: unknown } | undefined)?.code;
  if (code === 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED') return 'passkey_already_registered';
  if (code === 'ERROR_CEREMONY_ABORTED') return 'passkey_cancelled';
  const name = (error as { name?: unknown } | undefined)?.name;
  if (name === 'NotAllowedError' || name === 'AbortError') return 'passkey_cancelled';
  if (name === 'InvalidStateError') return 'passkey_already_registered';
  return 'passkey_unsupported';
}

/** Sign in with a discoverable passkey: no username is asked; the passkey names its owner. */
export async function passkeySignIn(
  identity: IdentityClient,
): Promise<PasskeyResult<StaffSignInAnswer>> {
  if (!passkeysSupported()) return { ok: false, code: 'passkey_unsupported' };
  try {
    const options = await identity.POST('/v1/auth/passkeys/login/options');
    if (options.data === undefined) return { ok: false, code: problemCode(options.error) };
    const { startAuthentication } = await webauthn();
    let response: Awaited<ReturnType<typeof startAuthentication>>;
    try {
      response = await startAuthentication({
        // The server's schema types WebAuthn's enumerations as plain strings; the values are
        // @simplewebauthn/server's own, which is what this library reads.
        optionsJSON: options.data as PublicKeyCredentialRequestOptionsJSON,
      });
    } catch (error) {
      return { ok: false, code: ceremonyCode(error) };
    }
    const res = await identity.POST('/v1/auth/passkeys/login', {
      body: { response: { ...response, clientExtensionResults: extensions(response) } },
    });
    if (res.data === undefined) return { ok: false, code: problemCode(res.error) };
    return { ok: true, value: res.data };
  } catch {
    return { ok: false, code: 'unavailable' };
  }
}

/** Register a passkey for the signed-in member whose token `identity` carries. */
export async function registerPasskey(
  identity: IdentityClient,
  label?: string,
): Promise<PasskeyResult<Passkey>> {
  if (!passkeysSupported()) return { ok: false, code: 'passkey_unsupported' };
  try {
    const options = await identity.POST('/v1/auth/passkeys/registration/options');
    if (options.data === undefined) return { ok: false, code: problemCode(options.error) };
    const { startRegistration } = await webauthn();
    let response: Awaited<ReturnType<typeof startRegistration>>;
    try {
      response = await startRegistration({
        optionsJSON: options.data as PublicKeyCredentialCreationOptionsJSON,
      });
    } catch (error) {
      return { ok: false, code: ceremonyCode(error) };
    }
    const res = await identity.POST('/v1/auth/passkeys/registration', {
      body: {
        response: { ...response, clientExtensionResults: extensions(response) },
        ...(label ? { label } : {}),
      },
    });
    if (res.data === undefined) return { ok: false, code: problemCode(res.error) };
    return { ok: true, value: res.data };
  } catch {
    return { ok: false, code: 'unavailable' };
  }
}

export async function myPasskeys(identity: IdentityClient): Promise<PasskeyResult<Passkey[]>> {
  try {
    const res = await identity.GET('/v1/me/passkeys');
    if (res.data === undefined) return { ok: false, code: problemCode(res.error) };
    return { ok: true, value: res.data.items };
  } catch {
    return { ok: false, code: 'unavailable' };
  }
}

export async function removePasskey(
  identity: IdentityClient,
  id: string,
): Promise<PasskeyResult<null>> {
  try {
    const res = await identity.DELETE('/v1/me/passkeys/{id}', { params: { path: { id } } });
    if (!res.response.ok) return { ok: false, code: problemCode(res.error) };
    return { ok: true, value: null };
  } catch {
    return { ok: false, code: 'unavailable' };
  }
}

const words = {
  'zh-CN': {
    signInWithPasskey: '使用通行密钥登录',
    passkeyHint: '通行密钥保存在本设备或安全密钥中，用指纹、面容或设备密码解锁，无需输入密码。',
    passkeyTitle: '或使用通行密钥',
    register: '注册通行密钥',
    registering: '请按设备提示创建通行密钥……',
    registered: '通行密钥已注册。下次可直接用它登录。',
    signingIn: '请按设备提示使用通行密钥……',
    failed: {
      passkey_cancelled: '未完成通行密钥操作（已取消或超时）。',
      passkey_unsupported: '此浏览器或设备无法使用通行密钥。',
      passkey_already_registered: '此设备上已有您的通行密钥。',
      passkey_authentication_failed: '无法识别此通行密钥，或账户已停用。',
      passkey_challenge_invalid: '本次操作已过期，请重试。',
      passkey_registration_failed: '通行密钥未能注册，请重试。',
      passkey_clone_detected: '此通行密钥可能已被复制，登录被拒绝。请联系部门管理员。',
      unauthorized: '登录已过期，请重新登录后再注册。',
      rate_limited: '尝试次数过多，请稍后再试。',
      unavailable: '暂时无法完成，请稍后再试。',
    } as Record<string, string>,
  },
  en: {
    signInWithPasskey: 'Sign in with a passkey',
    passkeyHint:
      'A passkey is kept on this device or a security key and unlocked with your fingerprint, face or device PIN; no password is typed.',
    passkeyTitle: 'Or use a passkey',
    register: 'Register a passkey',
    registering: 'Follow your device’s prompt to create a passkey…',
    registered: 'Passkey registered. Next time you can sign in with it.',
    signingIn: 'Follow your device’s prompt to use your passkey…',
    failed: {
      passkey_cancelled: 'The passkey step was not completed (cancelled or timed out).',
      passkey_unsupported: 'This browser or device cannot use passkeys.',
      passkey_already_registered: 'This device already holds a passkey of yours.',
      passkey_authentication_failed: 'This passkey is not recognised, or its account is disabled.',
      passkey_challenge_invalid: 'This attempt has expired; try again.',
      passkey_registration_failed: 'The passkey could not be registered; try again.',
      passkey_clone_detected:
        'This passkey may have been copied, so sign-in is refused. Ask your department administrator.',
      unauthorized: 'Your session has ended; sign in again to register a passkey.',
      rate_limited: 'Too many attempts; try again shortly.',
      unavailable: 'This is not possible right now; try again shortly.',
    } as Record<string, string>,
  },
};

export function passkeyWords() {
  return words[locale()];
}

/** The sentence for a failed passkey step. */
export function passkeyFailure(code: string): string {
  const w = passkeyWords();
  return w.failed[code] ?? w.failed.unavailable ?? '';
}

/**
 * A button that registers a passkey for the signed-in member and says how it went in `status`
 * (a live region the caller places). `onRegistered` runs after identity stored the passkey.
 */
export function registerPasskeyButton(
  identity: IdentityClient,
  status: HTMLElement,
  options: {
    readonly label?: () => string | undefined;
    readonly onRegistered?: (passkey: Passkey) => void;
    readonly className?: string;
  } = {},
): HTMLButtonElement {
  const w = passkeyWords();
  const button = h(
    'button',
    { type: 'button', class: options.className, 'data-action': 'register-passkey' },
    w.register,
  );
  button.addEventListener('click', () => {
    button.disabled = true;
    status.dataset.passkeyState = 'registering';
    status.textContent = w.registering;
    void registerPasskey(identity, options.label?.())
      .then((result) => {
        if (result.ok) {
          status.dataset.passkeyState = 'registered';
          status.textContent = w.registered;
          options.onRegistered?.(result.value);
        } else {
          status.dataset.passkeyState = 'failed';
          status.textContent = passkeyFailure(result.code);
        }
      })
      .finally(() => {
        button.disabled = false;
      });
  });
  return button;
}
