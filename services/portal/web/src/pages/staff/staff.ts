/// <reference types="vite/client" />
import { h, replaceChildren } from '../../dom.js';
import { dateTime } from '../../format.js';
import { locale } from '../../i18n.js';
import { type PageContext, setTitle } from '../../page.js';
import {
  myPasskeys,
  type Passkey,
  passkeyFailure,
  passkeysSupported,
  registerPasskeyButton,
  removePasskey,
} from '../../staff-passkeys.js';
import {
  currentStaff,
  renderSignIn,
  type StaffSession,
  staffApi,
  staffBar,
} from '../../staff-session.js';
import './staff.css';

const words = {
  'zh-CN': {
    title: '工作人员账户',
    intro: '在这里管理您的通行密钥。通行密钥可抵御钓鱼网站，部门可要求工作人员只用通行密钥登录。',
    passkeys: '我的通行密钥',
    loading: '正在读取……',
    none: '您还没有通行密钥。',
    created: '创建于',
    lastUsed: '上次使用',
    never: '尚未使用',
    synced: '已同步到其他设备',
    remove: '删除',
    removeLabel: (label: string) => `删除通行密钥“${label}”`,
    removed: '通行密钥已删除。',
    add: '注册新的通行密钥',
    label: '名称（可选）',
    labelHint: '例如“办公室电脑”，便于日后辨认。',
    unsupported: '此浏览器无法使用通行密钥。',
  },
  en: {
    title: 'Staff account',
    intro:
      'Manage your passkeys here. A passkey cannot be phished, and a department may require its staff to sign in with passkeys only.',
    passkeys: 'My passkeys',
    loading: 'Loading…',
    none: 'You have no passkeys yet.',
    created: 'Created',
    lastUsed: 'Last used',
    never: 'Not used yet',
    synced: 'Synced to your other devices',
    remove: 'Remove',
    removeLabel: (label: string) => `Remove passkey “${label}”`,
    removed: 'Passkey removed.',
    add: 'Register a new passkey',
    label: 'Name (optional)',
    labelHint: 'For example “Office PC”, so you can tell it apart later.',
    unsupported: 'This browser cannot use passkeys.',
  },
};

/**
 * `/staff`: a member of staff signs in (password or passkey), registers passkeys, sees and
 * removes their own, and signs out.
 */
export function renderStaff(ctx: PageContext): void {
  const w = words[locale()];
  setTitle(w.title);
  const body = h('div', { class: 'staff-account' });
  replaceChildren(ctx.main, h('h1', { tabindex: -1, 'data-page': 'staff' }, w.title), body);
  const draw = () => {
    const session = currentStaff();
    if (session === undefined) {
      renderSignIn(ctx, body, () => {
        draw();
        ctx.main.querySelector<HTMLElement>('h1')?.focus();
      });
    } else {
      drawAccount(body, session, () => {
        draw();
        ctx.main.querySelector<HTMLElement>('h1')?.focus();
      });
    }
  };
  draw();
}

function drawAccount(body: HTMLElement, session: StaffSession, onSignOut: () => void): void {
  const w = words[locale()];
  const identity = staffApi(session).identity;
  const list = h('div', { class: 'passkey-list', 'aria-live': 'polite' }, h('p', {}, w.loading));
  const listStatus = h('p', { class: 'staff-status', role: 'status' });
  const load = () => {
    void myPasskeys(identity).then((result) => {
      if (!list.isConnected) return;
      if (!result.ok) {
        list.dataset.state = 'failed';
        replaceChildren(list, h('p', { class: 'form-error' }, passkeyFailure(result.code)));
        return;
      }
      list.dataset.state = 'loaded';
      replaceChildren(
        list,
        result.value.length === 0
          ? h('p', {}, w.none)
          : h('ul', {}, ...result.value.map((p) => passkeyItem(identity, p, listStatus, load))),
      );
    });
  };

  const labelInput = h('input', {
    id: 'passkey-label',
    name: 'label',
    maxlength: 64,
    autocomplete: 'off',
    'aria-describedby': 'passkey-label-hint',
  });
  const addStatus = h('p', { class: 'staff-status', role: 'status' });
  const add = passkeysSupported()
    ? h(
        'div',
        { class: 'passkey-add' },
        h('label', { for: 'passkey-label' }, w.label),
        h('p', { id: 'passkey-label-hint', class: 'hint' }, w.labelHint),
        labelInput,
        registerPasskeyButton(identity, addStatus, {
          label: () => labelInput.value.trim() || undefined,
          onRegistered: () => {
            labelInput.value = '';
            load();
          },
        }),
        addStatus,
      )
    : h('p', {}, w.unsupported);

  replaceChildren(
    body,
    staffBar(session, onSignOut, { onPasskeyRegistered: load }),
    h('p', { class: 'lead' }, w.intro),
    h(
      'section',
      { 'aria-labelledby': 'passkeys-title' },
      h('h2', { id: 'passkeys-title' }, w.passkeys),
      list,
      listStatus,
    ),
    h(
      'section',
      { 'aria-labelledby': 'passkey-add-title' },
      h('h2', { id: 'passkey-add-title' }, w.add),
      add,
    ),
  );
  load();
}

function passkeyItem(
  identity: ReturnType<typeof staffApi>['identity'],
  passkey: Passkey,
  status: HTMLElement,
  reload: () => void,
): HTMLElement {
  const w = words[locale()];
  const lang = locale();
  const remove = h(
    'button',
    { type: 'button', class: 'secondary', 'aria-label': w.removeLabel(passkey.label) },
    w.remove,
  );
  remove.addEventListener('click', () => {
    remove.disabled = true;
    void removePasskey(identity, passkey.id).then((result) => {
      status.textContent = result.ok ? w.removed : passkeyFailure(result.code);
      if (result.ok) reload();
      else remove.disabled = false;
    });
  });
  return h(
    'li',
    { class: 'passkey', 'data-passkey-id': passkey.id },
    h('h3', {}, passkey.label),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, w.created),
      h('dd', {}, dateTime(passkey.createdAt, lang)),
      h('dt', {}, w.lastUsed),
      h('dd', {}, passkey.lastUsedAt ? dateTime(passkey.lastUsedAt, lang) : w.never),
    ),
    passkey.backedUp ? h('p', { class: 'hint' }, w.synced) : null,
    remove,
  );
}
