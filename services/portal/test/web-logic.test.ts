// @vitest-environment happy-dom
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normaliseTrackingCode, TRACKING_CODE } from '../web/src/api.js';
import { dateTime, lastDay } from '../web/src/format.js';
import { localeFrom } from '../web/src/i18n.js';
import { route } from '../web/src/main.js';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

describe('web/src/main route()', () => {
  it('maps each path to its page, and anything else to not-found', () => {
    expect(route('/')).toEqual({ page: 'home' });
    expect(route('/track/0123456789ABCDEFGHJK')).toEqual({
      page: 'track',
      code: '0123456789ABCDEFGHJK',
    });
    expect(route('/track/%3Cb%3E')).toEqual({ page: 'track', code: '<b>' });
    expect(route('/track/%E0%A4%A')).toEqual({ page: 'track', code: '' });
    expect(route('/resident')).toEqual({ page: 'resident' });
    expect(route('/counter/')).toEqual({ page: 'counter' });
    expect(route('/department')).toEqual({ page: 'department' });
    expect(route('/staff')).toEqual({ page: 'staff' });
    expect(route('/staff/')).toEqual({ page: 'staff' });
    expect(route('/track/a/b')).toEqual({ page: 'not-found' });
    expect(route('/admin')).toEqual({ page: 'not-found' });
  });
});

describe('web/src/api normaliseTrackingCode()', () => {
  it('accepts a code as printed, typed in lower case, spaced or hyphenated', () => {
    const code = '7Z0123456789ABCDEFGH';
    expect(normaliseTrackingCode(code)).toBe(code);
    expect(normaliseTrackingCode(code.toLowerCase())).toBe(code);
    expect(
      normaliseTrackingCode(`${code.slice(0, 5)} ${code.slice(5, 10)}-${code.slice(10)}`),
    ).toBe(code);
  });

  it('reads O as 0 and I or L as 1, as Crockford base32 does', () => {
    expect(normaliseTrackingCode('OOOOOIIIIILLLLL00000')).toBe('00000111111111100000');
  });

  it('never returns anything but a well-formed code', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (input) => {
        const code = normaliseTrackingCode(input);
        return code === undefined || TRACKING_CODE.test(code);
      }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...CROCKFORD), { minLength: 20, maxLength: 20 }),
        (chars) => normaliseTrackingCode(chars.join('')) === chars.join(''),
      ),
    );
    expect(normaliseTrackingCode('<img src=x onerror=alert(1)>')).toBeUndefined();
    expect(normaliseTrackingCode('0123456789ABCDEFGHJ')).toBeUndefined();
    expect(normaliseTrackingCode('0123456789ABCDEFGHJU')).toBeUndefined();
  });
});

describe('web/src/i18n localeFrom()', () => {
  it('takes the first of the browser languages it speaks, else Chinese', () => {
    expect(localeFrom(['en-US', 'zh-CN'])).toBe('en');
    expect(localeFrom(['zh-TW', 'en'])).toBe('zh-CN');
    expect(localeFrom(['fr-FR', 'EN-gb'])).toBe('en');
    expect(localeFrom(['fr-FR', 'de'])).toBe('zh-CN');
    expect(localeFrom([])).toBe('zh-CN');
  });
});

describe('web/src/format', () => {
  it('writes instants in the city time zone, whatever the reader’s', () => {
    // 16:30 UTC is 00:30 the next day in Beijing.
    expect(dateTime('2026-03-01T16:30:00Z', 'en')).toBe('Mar 2, 2026, 00:30');
    expect(dateTime('2026-03-01T16:30:00Z', 'zh-CN')).toBe('2026年3月2日 00:30');
  });

  it('shows a deadline at 24:00 city time as the day it ends', () => {
    // workflow's deadline for 3 December: 24:00 Beijing time = 16:00 UTC.
    expect(lastDay('2026-12-03T16:00:00.000Z', 'en')).toBe('Dec 3, 2026');
    expect(lastDay('2026-12-03T16:00:00.000Z', 'zh-CN')).toBe('2026年12月3日');
  });
});
