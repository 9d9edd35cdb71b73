import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeProof,
  encodeProof,
  fromBase64Url,
  fromHex,
  toBase64Url,
  toHex,
} from '../src/index.js';

describe('hex and base64url', () => {
  it('round-trip any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70 }), (bytes) => {
        expect(fromHex(toHex(bytes))).toEqual(bytes);
        expect(fromBase64Url(toBase64Url(bytes))).toEqual(bytes);
      }),
    );
  });

  it('agree with the standard encodings', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70 }), (bytes) => {
        // Node's encoders as the reference; the package itself must not use Buffer.
        expect(toHex(bytes)).toBe(Buffer.from(bytes).toString('hex'));
        expect(toBase64Url(bytes)).toBe(Buffer.from(bytes).toString('base64url'));
      }),
    );
  });

  it('refuse text that is not canonical', () => {
    for (const bad of ['0', 'AB', 'zz', '0x00']) expect(() => fromHex(bad)).toThrow(SyntaxError);
    // 'AB' and 'AA' would decode to the same byte if stray low bits were ignored.
    for (const bad of ['A', 'AB', 'AA==', 'A+', 'A/']) {
      expect(() => fromBase64Url(bad)).toThrow(SyntaxError);
    }
  });

  it('encode and decode proofs for JSON', () => {
    const proof = [new Uint8Array(32).fill(1), new Uint8Array(32).fill(255)];
    for (const encoding of ['hex', 'base64url'] as const) {
      const json = JSON.parse(JSON.stringify(encodeProof(proof, encoding))) as string[];
      expect(decodeProof(json, encoding)).toEqual(proof);
    }
  });
});
