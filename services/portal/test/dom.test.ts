// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { append, h, replaceChildren } from '../web/src/dom.js';

const ATTACK = '<img src=x onerror=alert(1)>';

describe('web/src/dom h()', () => {
  it('renders typed markup as the characters it is, never as an element', () => {
    const box = h('div', {}, h('p', {}, ATTACK), ATTACK);
    expect(box.querySelector('img')).toBeNull();
    expect(box.children).toHaveLength(1);
    expect(box.textContent).toBe(ATTACK + ATTACK);
    // Serialised, the text is escaped: the browser would show it, not parse it.
    expect(box.innerHTML).toBe(
      '<p>&lt;img src=x onerror=alert(1)&gt;</p>&lt;img src=x onerror=alert(1)&gt;',
    );
  });

  it('keeps markup in attribute values as the value', () => {
    const input = h('input', { value: `"><img src=x onerror=alert(1)>`, title: ATTACK });
    const box = h('div', {}, input);
    expect(box.querySelector('img')).toBeNull();
    expect(input.getAttribute('title')).toBe(ATTACK);
  });

  it('refuses event-handler attributes and script URLs', () => {
    expect(() => h('img', { onerror: 'alert(1)' })).toThrow(/event-handler/);
    expect(() => h('a', { OnClick: 'alert(1)' })).toThrow(/event-handler/);
    expect(() => h('a', { href: 'javascript:alert(1)' })).toThrow(/URL/);
    expect(() => h('a', { href: ' JavaScript:alert(1)' })).toThrow(/URL/);
    expect(() => h('img', { src: 'data:image/svg+xml,<svg onload=alert(1)>' })).toThrow(/URL/);
    expect(h('a', { href: '/track/ABC' }).getAttribute('href')).toBe('/track/ABC');
    expect(h('a', { href: 'https://example.org/' }).getAttribute('href')).toBe(
      'https://example.org/',
    );
  });

  it('sets true as an empty attribute and leaves out false, null and undefined', () => {
    const input = h('input', { required: true, disabled: false, title: null, name: undefined });
    expect(input.outerHTML).toBe('<input required="">');
  });

  it('appends numbers as text and skips empty children; replaceChildren empties first', () => {
    const list = h('p', {}, 'a', 1, false, null, undefined, 'b');
    expect(list.textContent).toBe('a1b');
    replaceChildren(list, ATTACK);
    expect(list.childNodes).toHaveLength(1);
    expect(list.textContent).toBe(ATTACK);
    append(list, h('strong', {}, 'x'));
    expect(list.innerHTML).toBe('&lt;img src=x onerror=alert(1)&gt;<strong>x</strong>');
  });
});
