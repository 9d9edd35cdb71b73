import fc from 'fast-check';
import { Type } from 'typebox';
import { describe, expect, it } from 'vitest';
import { isSafeText, SAFE_TEXT_PATTERN, SafeText } from '../src/index.js';
import { schemaCompilers } from '../src/validation.js';

// The service's own compilers: what a route actually runs, body (strict) and query (coercing).
const compile = schemaCompilers();
function validator(schema: object, httpPart: 'body' | 'querystring' = 'body') {
  const check = compile({ schema, httpPart, method: 'POST', url: '/' } as never) as (
    value: unknown,
  ) => boolean;
  return (value: string) => check({ text: value });
}
const single = validator(Type.Object({ text: SafeText({ maxLength: 20 }) }));
const multi = validator(Type.Object({ text: SafeText({ maxLength: 20, multiline: true }) }));
const query = validator(Type.Object({ text: SafeText({ maxLength: 20 }) }), 'querystring');

const HOSTILE: [string, string][] = [
  ['U+0000', 'a\u0000b'],
  ['U+001B escape', 'a\u001b[31m'],
  ['CR', 'a\rb'],
  ['DEL', 'a\u007fb'],
  ['C1 U+0085', 'a\u0085b'],
  ['C1 U+009B', 'a\u009bb'],
  ['LRE U+202A', 'a\u202ab'],
  ['RLO U+202E', '\u202eabc'],
  ['LRI U+2066', 'a\u2066b'],
  ['PDI U+2069', 'a\u2069b'],
  ['lone high surrogate', 'a\ud800b'],
  ['lone low surrogate', 'a\udc00'],
];

/** An oracle written by code point, independent of the pattern under test. */
function hostile(text: string): boolean {
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp <= 0x1f || (cp >= 0x7f && cp <= 0x9f)) return true;
    if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069)) return true;
    if (cp >= 0xd800 && cp <= 0xdfff) return true; // for..of yields a lone surrogate alone
  }
  return false;
}

describe('SafeText', () => {
  it('accepts text in any script, emoji included, up to maxLength code points', () => {
    for (const text of [
      '窗口 3',
      'Zoë Ødegård',
      'مرحبا',
      '👩‍👩‍👧 family',
      'x'.repeat(20),
      '😀'.repeat(20),
    ]) {
      expect(single(text), text).toBe(true);
      expect(query(text), text).toBe(true);
      expect(isSafeText(text)).toBe(true);
    }
  });

  for (const [name, text] of HOSTILE) {
    it(`refuses ${name}, single-line and multi-line, in bodies and query strings`, () => {
      expect(single(text)).toBe(false);
      expect(multi(text)).toBe(false);
      expect(query(text)).toBe(false);
      expect(isSafeText(text, { multiline: true })).toBe(false);
    });
  }

  it('allows TAB and LF only where the field is multi-line', () => {
    expect(single('a\tb')).toBe(false);
    expect(single('a\nb')).toBe(false);
    expect(multi('line 1\n\tline 2')).toBe(true);
  });

  it('bounds the length and refuses the empty string by default', () => {
    expect(single('x'.repeat(21))).toBe(false);
    expect(single('')).toBe(false);
    expect(() => SafeText({ maxLength: 0 })).toThrow();
  });

  it('is a pattern an OpenAPI document can carry as is (ECMA-262, \\u escapes only)', () => {
    expect(SAFE_TEXT_PATTERN).toMatch(/^[\x20-\x7e]+$/);
    expect(() => new RegExp(SAFE_TEXT_PATTERN, 'u')).not.toThrow();
    expect(() => new RegExp(SAFE_TEXT_PATTERN)).not.toThrow();
  });

  it('agrees with isSafeText on arbitrary strings (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 20 }), (text) => {
        const bad = hostile(text);
        expect(single(text)).toBe(text.length > 0 && !bad);
        expect(isSafeText(text)).toBe(!bad);
      }),
    );
  });
});
