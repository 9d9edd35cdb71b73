import { describe, expect, it } from 'vitest';
import { collectForm, fieldsOf, labelOf } from '../web/src/pages/counter/schema-form.js';
import { reasonFor, WORDS } from '../web/src/pages/counter/words.js';

// The open_restaurant form as the catalogue publishes it, keys in jsonb's order (by length).
const restaurant = {
  type: 'object',
  additionalProperties: false,
  required: ['businessName', 'premisesAddress', 'floorAreaSqm', 'seats', 'legalRepresentative'],
  properties: {
    seats: { type: 'integer', minimum: 1, maximum: 5000 },
    cuisine: { type: 'string', maxLength: 50 },
    openingDate: { type: 'string', format: 'date' },
    businessName: { type: 'string', minLength: 2, maxLength: 100 },
    floorAreaSqm: { type: 'number', exclusiveMinimum: 0, maximum: 100000 },
    premisesAddress: { type: 'string', minLength: 5, maxLength: 200 },
    legalRepresentative: { type: 'string', minLength: 1, maxLength: 50 },
    householdOf: { type: 'string', enum: ['mother', 'father'], description: 'Whose household' },
  },
};

describe('counter page: the application form from a JSON Schema', () => {
  it('makes one field per property, required ones first in their listed order', () => {
    const fields = fieldsOf(restaurant);
    expect(fields.map((f) => [f.name, f.kind, f.required])).toEqual([
      ['businessName', 'text', true],
      ['premisesAddress', 'text', true],
      ['floorAreaSqm', 'number', true],
      ['seats', 'integer', true],
      ['legalRepresentative', 'text', true],
      ['cuisine', 'text', false],
      ['openingDate', 'date', false],
      ['householdOf', 'select', false],
    ]);
    const household = fields.find((f) => f.name === 'householdOf');
    expect(household?.options).toEqual(['mother', 'father']);
    expect(household?.description).toBe('Whose household');
    expect(fields.find((f) => f.name === 'seats')).toMatchObject({ minimum: 1, maximum: 5000 });
    expect(fieldsOf(null)).toEqual([]);
    expect(fieldsOf({ type: 'object' })).toEqual([]);
  });

  it('labels a field from its property name', () => {
    expect(labelOf('floorAreaSqm')).toBe('Floor area sqm');
    expect(labelOf('birth_certificate_number')).toBe('Birth certificate number');
    expect(labelOf('idNumberMasked')).toBe('Id number masked');
  });

  it('collects numbers as numbers, leaves empty optional fields out and names what is missing', () => {
    const fields = fieldsOf(restaurant);
    const typed: Record<string, string> = {
      businessName: '  芳姐家常菜 ',
      premisesAddress: '北京市东城区交道口南大街 52 号',
      floorAreaSqm: '64.5',
      seats: '28',
      legalRepresentative: '',
      cuisine: '',
      openingDate: '2026-09-01',
      householdOf: '',
    };
    const { form, invalid } = collectForm(fields, (name) => typed[name] ?? '');
    expect(form).toEqual({
      businessName: '芳姐家常菜',
      premisesAddress: '北京市东城区交道口南大街 52 号',
      floorAreaSqm: 64.5,
      seats: 28,
      openingDate: '2026-09-01',
    });
    expect(invalid).toEqual(['legalRepresentative']);
    expect(collectForm(fields, (name) => (name === 'seats' ? '2.5' : 'x')).invalid).toEqual([
      'floorAreaSqm',
      'seats',
    ]);
  });
});

describe('counter page: refusals in plain language', () => {
  // Every code identity's POST /v1/presentations/verify and /v1/verifications/in-person answer
  // with (docs/errors.md), and workflow's verification_required, has its own sentence.
  const codes = [
    'malformed_token',
    'signature_invalid',
    'unknown_key',
    'presentation_expired',
    'presentation_not_yet_valid',
    'presentation_replayed',
    'credential_revoked',
    'credential_suspended',
    'device_revoked',
    'not_found',
    'verification_required',
  ];

  it('has a reason of its own for each code, in both languages', () => {
    for (const w of Object.values(WORDS)) {
      const fallback = reasonFor('something_else', w);
      expect(fallback).toBe(w.reasons.unavailable);
      for (const code of codes) expect(reasonFor(code, w), code).not.toBe(fallback);
    }
  });

  it('says what each scan refusal means to the clerk', () => {
    const en = (code: string) => reasonFor(code, WORDS.en);
    const zh = (code: string) => reasonFor(code, WORDS['zh-CN']);
    expect(en('presentation_expired')).toMatch(/has expired/);
    expect(zh('presentation_expired')).toMatch(/已过期/);
    expect(en('presentation_replayed')).toMatch(/already been used/);
    expect(zh('presentation_replayed')).toMatch(/已经使用过/);
    expect(en('credential_revoked')).toMatch(/revoked/);
    expect(zh('credential_revoked')).toMatch(/注销/);
    expect(en('credential_suspended')).toMatch(/suspended/);
    expect(zh('credential_suspended')).toMatch(/暂停/);
    for (const code of ['signature_invalid', 'unknown_key']) {
      expect(en(code)).toMatch(/not a genuine Tongban QR code/);
      expect(zh(code)).toMatch(/不是真实有效/);
    }
    expect(en('malformed_token')).toMatch(/not a Tongban ID QR code/);
  });
});
