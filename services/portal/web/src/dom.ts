/**
 * The one way the pages make elements. Text only ever goes in through text nodes and attribute
 * values, never through innerHTML or any other HTML parser, so whatever a service or a person
 * typed is shown as the characters it is and can never become markup or script.
 */

export type Child = Node | string | number | false | null | undefined;

export type Attributes = Readonly<Record<string, string | number | boolean | null | undefined>>;

// Script can enter through an event-handler attribute or a javascript: URL even when every text
// is safe; neither has a legitimate use in these pages, so the builder refuses both outright.
const EVENT_HANDLER = /^on/i;
const URL_ATTRIBUTES = new Set(['href', 'src', 'action', 'formaction', 'xlink:href']);
const SAFE_URL = /^(?:[/?#.]|https?:|mailto:|tel:)/i;

/** Sets one attribute: `true` as an empty attribute, `false`/null/undefined leaves it out. */
function setAttribute(element: Element, name: string, value: Attributes[string]): void {
  if (EVENT_HANDLER.test(name)) {
    throw new Error(`dom: event-handler attribute ${name} refused; use addEventListener`);
  }
  if (value === false || value === null || value === undefined) return;
  const text = value === true ? '' : String(value);
  if (URL_ATTRIBUTES.has(name.toLowerCase()) && !SAFE_URL.test(text.trim())) {
    throw new Error(`dom: ${name} must be a relative, http(s), mailto: or tel: URL`);
  }
  element.setAttribute(name, text);
}

/** Appends children: strings and numbers as text nodes, nodes as they are, empty values skipped. */
export function append(parent: Node, ...children: readonly Child[]): void {
  for (const child of children) {
    if (child === false || child === null || child === undefined) continue;
    parent.appendChild(
      typeof child === 'string' || typeof child === 'number'
        ? document.createTextNode(String(child))
        : child,
    );
  }
}

/** `h('p', { class: 'note' }, 'text', h('strong', {}, 'more'))` */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: readonly Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) setAttribute(element, name, value);
  append(element, ...children);
  return element;
}

/** Replaces everything inside `parent` with `children`. */
export function replaceChildren(parent: Element, ...children: readonly Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}
