import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, recordDigest } from '../src/domain/records/digest.js';
import {
  ES6_NUMBERS_10000_SHA256,
  es6NumberSamples,
  jcsVectors,
} from './fixtures/rfc8785-vectors.js';

const doubleOf = (hexIeee: string): number => {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hexIeee}`));
  return view.getFloat64(0);
};

describe('canonicalJson (RFC 8785)', () => {
  for (const vector of jcsVectors) {
    it(`writes the reference implementation's ${vector.name} vector byte for byte`, () => {
      const bytes = Buffer.from(canonicalJson(JSON.parse(vector.input)), 'utf8');
      expect(bytes.toString('hex')).toBe(vector.outputHex);
    });
  }

  it('writes numbers as the published ES6 samples say', () => {
    for (const [hex, expected] of es6NumberSamples) {
      expect(canonicalJson(doubleOf(hex)), hex).toBe(expected);
    }
  });

  // testdata/numgen.js: the first 10,000 lines of the ES6 number test file, generated here the
  // same way and hashed; the README publishes the SHA-256 of exactly these lines.
  it('matches the published hash of the first 10,000 ES6 number test lines', () => {
    const statics = [
      0x0000000000000000n,
      0x8000000000000000n,
      0x0000000000000001n,
      0x8000000000000001n,
      0xc46696695dbd1cc3n,
      0xc43211ede4974a35n,
      0xc3fce97ca0f21056n,
      0xc3c7213080c1a6acn,
      0xc39280f39a348556n,
      0xc35d9b1f5d20d557n,
      0xc327af4c4a80aaacn,
      0xc2f2f2a36ecd5556n,
      0xc2be51057e155558n,
      0xc28840d131aaaaacn,
      0xc253670dc1555557n,
      0xc21f0b4935555557n,
      0xc1e8d5d42aaaaaacn,
      0xc1b3de4355555556n,
      0xc17fca0555555556n,
      0xc1496e6aaaaaaaabn,
      0xc114585555555555n,
      0xc0e046aaaaaaaaabn,
      0xc0aa0aaaaaaaaaaan,
      0xc074d55555555555n,
      0xc040aaaaaaaaaaabn,
      0xc00aaaaaaaaaaaabn,
      0xbfd5555555555555n,
      0xbfa1111111111111n,
      0xbf6b4e81b4e81b4fn,
      0xbf35d867c3ece2a5n,
      0xbf0179ec9cbd821en,
      0xbecbf647612f3696n,
      0xbe965e9f80f29212n,
      0xbe61e54c672874dbn,
      0xbe2ca213d840baf8n,
      0xbdf6e80fe033c8c6n,
      0xbdc2533fe68fd3d2n,
      0xbd8d51ffd74c861cn,
      0xbd5774ccac3d3817n,
      0xbd22c3d6f030f9acn,
      0xbcee0624b3818f79n,
      0xbcb804ea293472c7n,
      0xbc833721ba905bd3n,
      0xbc4ebe9c5db3c61en,
      0xbc18987d17c304e5n,
      0xbbe3ad30dfcf371dn,
      0xbbaf7b816618582fn,
      0xbb792f9ab81379bfn,
      0xbb442615600f9499n,
      0xbb101e77800c76e1n,
      0xbad9ca58cce0be35n,
      0xbaa4a1e0a3e6fe90n,
      0xba708180831f320dn,
      0xba3a68cd9e985016n,
      0x446696695dbd1cc3n,
      0x443211ede4974a35n,
      0x43fce97ca0f21056n,
      0x43c7213080c1a6acn,
      0x439280f39a348556n,
      0x435d9b1f5d20d557n,
      0x4327af4c4a80aaacn,
      0x42f2f2a36ecd5556n,
      0x42be51057e155558n,
      0x428840d131aaaaacn,
      0x4253670dc1555557n,
      0x421f0b4935555557n,
      0x41e8d5d42aaaaaacn,
      0x41b3de4355555556n,
      0x417fca0555555556n,
      0x41496e6aaaaaaaabn,
      0x4114585555555555n,
      0x40e046aaaaaaaaabn,
      0x40aa0aaaaaaaaaaan,
      0x4074d55555555555n,
      0x4040aaaaaaaaaaabn,
      0x400aaaaaaaaaaaabn,
      0x3fd5555555555555n,
      0x3fa1111111111111n,
      0x3f6b4e81b4e81b4fn,
      0x3f35d867c3ece2a5n,
      0x3f0179ec9cbd821en,
      0x3ecbf647612f3696n,
      0x3e965e9f80f29212n,
      0x3e61e54c672874dbn,
      0x3e2ca213d840baf8n,
      0x3df6e80fe033c8c6n,
      0x3dc2533fe68fd3d2n,
      0x3d8d51ffd74c861cn,
      0x3d5774ccac3d3817n,
      0x3d22c3d6f030f9acn,
      0x3cee0624b3818f79n,
      0x3cb804ea293472c7n,
      0x3c833721ba905bd3n,
      0x3c4ebe9c5db3c61en,
      0x3c18987d17c304e5n,
      0x3be3ad30dfcf371dn,
      0x3baf7b816618582fn,
      0x3b792f9ab81379bfn,
      0x3b442615600f9499n,
      0x3b101e77800c76e1n,
      0x3ad9ca58cce0be35n,
      0x3aa4a1e0a3e6fe90n,
      0x3a708180831f320dn,
      0x3a3a68cd9e985016n,
      0x4024000000000000n,
      0x4014000000000000n,
      0x3fe0000000000000n,
      0x3fa999999999999an,
      0x3f747ae147ae147bn,
      0x3f40624dd2f1a9fcn,
      0x3f0a36e2eb1c432dn,
      0x3ed4f8b588e368f1n,
      0x3ea0c6f7a0b5ed8dn,
      0x3e6ad7f29abcaf48n,
      0x3e35798ee2308c3an,
      0x3ed539223589fa95n,
      0x3ed4ff26cd5a7781n,
      0x3ed4f95a762283ffn,
      0x3ed4f8c60703520cn,
      0x3ed4f8b72f19cd0dn,
      0x3ed4f8b5b31c0c8dn,
      0x3ed4f8b58d1c461an,
      0x3ed4f8b5894f7f0en,
      0x3ed4f8b588ee37f3n,
      0x3ed4f8b588e47da4n,
      0x3ed4f8b588e3849cn,
      0x3ed4f8b588e36bb5n,
      0x3ed4f8b588e36937n,
      0x3ed4f8b588e368f8n,
      0x3ed4f8b588e368f1n,
      0x3ff0000000000000n,
      0xbff0000000000000n,
      0xbfeffffffffffffan,
      0xbfeffffffffffffbn,
      0x3feffffffffffffan,
      0x3feffffffffffffbn,
      0x3feffffffffffffcn,
      0x3feffffffffffffen,
      0xbfefffffffffffffn,
      0xbfefffffffffffffn,
      0x3fefffffffffffffn,
      0x3fefffffffffffffn,
      0x3fd3333333333332n,
      0x3fd3333333333333n,
      0x3fd3333333333334n,
      0x0010000000000000n,
      0x000ffffffffffffdn,
      0x000fffffffffffffn,
      0x7fefffffffffffffn,
      0xffefffffffffffffn,
      0x4340000000000000n,
      0xc340000000000000n,
      0x4430000000000000n,
      0x44b52d02c7e14af5n,
      0x44b52d02c7e14af6n,
      0x44b52d02c7e14af7n,
      0x444b1ae4d6e2ef4en,
      0x444b1ae4d6e2ef4fn,
      0x444b1ae4d6e2ef50n,
      0x3eb0c6f7a0b5ed8cn,
      0x3eb0c6f7a0b5ed8dn,
      0x41b3de4355555553n,
      0x41b3de4355555554n,
      0x41b3de4355555555n,
      0x41b3de4355555556n,
      0x41b3de4355555557n,
      0xbecbf647612f3696n,
      0x43143ff3c1cb0959n,
    ];
    const bits = (f: number) => {
      const view = new DataView(new ArrayBuffer(8));
      view.setFloat64(0, f);
      return view.getBigUint64(0);
    };
    const asDouble = (u: bigint) => {
      const view = new DataView(new ArrayBuffer(8));
      view.setBigUint64(0, u);
      return view.getFloat64(0);
    };
    // numgen.js reads each SHA-256 block as four little-endian doubles.
    let block: Buffer = Buffer.alloc(32);
    let pending: number[] = [];
    const random = () => {
      for (;;) {
        if (pending.length === 0) {
          block = createHash('sha256').update(block).digest();
          pending = [0, 8, 16, 24].map((offset) => block.readDoubleLE(offset));
        }
        const f = pending.shift() as number;
        if (f !== 0 && Number.isFinite(f)) return f;
      }
    };
    const hash = createHash('sha256');
    for (let i = 0; i < 10_000; i++) {
      const f =
        i < statics.length
          ? asDouble(statics[i] as bigint)
          : i < statics.length + 2000
            ? asDouble(0x0010000000000000n + BigInt(i - statics.length))
            : random();
      hash.update(`${bits(f).toString(16)},${canonicalJson(f)}\n`);
    }
    expect(hash.digest('hex')).toBe(ES6_NUMBERS_10000_SHA256);
  });

  it('refuses what JSON cannot carry', () => {
    expect(() => canonicalJson(Number.POSITIVE_INFINITY)).toThrow();
    expect(() => canonicalJson(Number.NaN)).toThrow();
    expect(() => canonicalJson({ s: '\ud800' })).toThrow();
  });
});

describe('recordDigest', () => {
  const independent = (data: unknown) =>
    createHash('sha256').update(canonicalJson(data)).digest().toString('base64url');

  it('is base64url SHA-256 of the canonical UTF-8 bytes', () => {
    const data = { b: 1, a: '出生', c: [true, null, 0.5] };
    expect(canonicalJson(data)).toBe('{"a":"出生","b":1,"c":[true,null,0.5]}');
    expect(recordDigest(data)).toBe(
      createHash('sha256')
        .update(Buffer.from('{"a":"出生","b":1,"c":[true,null,0.5]}', 'utf8'))
        .digest('base64url'),
    );
    expect(recordDigest(data)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  // Any JSON object, its members in any order, nested: the digest depends on the data only.
  const reorder = (value: unknown, seed: number): unknown => {
    if (Array.isArray(value)) return value.map((v, i) => reorder(v, seed + i));
    if (typeof value !== 'object' || value === null) return value;
    const entries = Object.entries(value);
    const shuffled = entries
      .map((entry, i) => ({ entry, key: (i * 7919 + seed * 104729) % (entries.length + 13) }))
      .sort((x, y) => x.key - y.key)
      .map(({ entry: [k, v] }, i) => [k, reorder(v, seed + i)] as const);
    return Object.fromEntries(shuffled);
  };

  it('is stable under reordering of object members at every depth', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue({ noUnicodeString: false })),
        fc.nat(),
        (data, seed) => {
          const moved = reorder(data, seed);
          expect(recordDigest(moved)).toBe(recordDigest(data));
          expect(recordDigest(data)).toBe(independent(JSON.parse(JSON.stringify(data))));
        },
      ),
    );
  });

  it('changes when any value changes', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.integer(), { minKeys: 1 }), (data) => {
        const [key] = Object.keys(data);
        const changed = { ...data, [key as string]: (data[key as string] as number) + 1 };
        expect(recordDigest(changed)).not.toBe(recordDigest(data));
      }),
    );
  });
});
