import { deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  decodeStatusList,
  encodeStatusList,
  issuePresentationToken,
  issueStatusListToken,
  isTokenError,
  STATUS_LIST_CAPACITY,
  type StatusBits,
  statusListUrl,
  type TokenErrorCode,
  verifyStatusListToken,
} from '../src/index.js';
import {
  b64json,
  fixedResolver,
  type IssuerKey,
  makeIssuerKey,
  resolverFor,
  signRaw,
} from './helpers/keys.js';

/** The draft's multi-line `lst` examples, joined as the draft says (line breaks are for display). */
const joined = (...lines: string[]) => lines.join('');

// draft-ietf-oauth-status-list, § Status List: 16 statuses, 1 bit each → [0xB9, 0xA3].
const EXAMPLE_1_BIT = {
  statuses: [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1],
  bytes: [0xb9, 0xa3],
  lst: 'eNrbuRgAAhcBXQ',
};
// § Further Examples, 2-bit: 12 statuses → [0xC9, 0x44, 0xF9].
const EXAMPLE_2_BIT = {
  statuses: [1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3],
  bytes: [0xc9, 0x44, 0xf9],
  lst: 'eNo76fITAAPfAgc',
};

// Appendix "Test vectors for Status List encoding": lists of 2^20 entries, all others 0.
const VECTORS: Array<{ bits: StatusBits; lst: string; set: Record<number, number> }> = [
  {
    bits: 1,
    lst: joined(
      'eNrt3AENwCAMAEGogklACtKQPg9LugC9k_ACvreiogE',
      'AAKkeCQAAAAAAAAAAAAAAAAAAAIBylgQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      'AAAAAAAAAAAAAAAAAAAXG9IAAAAAAAAAPwsJAAAAAAAAAAAAAAAvhsSAAAAAAAAAAA',
      'A7KpLAAAAAAAAAAAAAAAAAAAAAJsLCQAAAAAAAAAAADjelAAAAAAAAAAAKjDMAQAAA',
      'ACAZC8L2AEb',
    ),
    set: {
      0: 1,
      1993: 1,
      25460: 1,
      159495: 1,
      495669: 1,
      554353: 1,
      645645: 1,
      723232: 1,
      854545: 1,
      934534: 1,
      1000345: 1,
    },
  },
  {
    bits: 2,
    lst: joined(
      'eNrt2zENACEQAEEuoaBABP5VIO01fCjIHTMStt9ovGV',
      'IAAAAAABAbiEBAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAEB5WwIAAAAAA',
      'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAID0ugQAAAAAAAAAAAAAAAAAQG12SgAAA',
      'AAAAAAAAAAAAAAAAAAAAAAAAOCSIQEAAAAAAAAAAAAAAAAAAAAAAAD8ExIAAAAAAAA',
      'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAwJEuAQAAAAAAAAAAAAAAAAAAAAAAAMB9S',
      'wIAAAAAAAAAAAAAAAAAAACoYUoAAAAAAAAAAAAAAEBqH81gAQw',
    ),
    set: {
      0: 1,
      1993: 2,
      25460: 1,
      159495: 3,
      495669: 1,
      554353: 1,
      645645: 2,
      723232: 1,
      854545: 1,
      934534: 2,
      1000345: 3,
    },
  },
  {
    bits: 4,
    lst: joined(
      'eNrt0EENgDAQADAIHwImkIIEJEwCUpCEBBQRHOy35Li',
      '1EjoOQGabAgAAAAAAAAAAAAAAAAAAACC1SQEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABADrsCAAAAAAAAAAAAAAAAA',
      'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      'AAADoxaEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAIIoCgAAAAAAAAAAAAAAAAA',
      'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAACArpwKAAAAAAAAAAAAAAAAAAAAA',
      'AAAAAAAAAAAAAAAAAAAAAAAAAAAAGhqVkAzlwIAAAAAiGVRAAAAAAAAAAAAAAAAAAA',
      'AAAAAAAAAAAAAAAAAAAAAAABx3AoAgLpVAQAAAAAAAAAAAAAAwM89rwMAAAAAAAAAA',
      'AjsA9xMBMA',
    ),
    set: {
      0: 1,
      1993: 2,
      35460: 3,
      459495: 4,
      595669: 5,
      754353: 6,
      845645: 7,
      923232: 8,
      924445: 9,
      934534: 10,
      1004534: 11,
      1000345: 12,
      1030203: 13,
      1030204: 14,
      1030205: 15,
    },
  },
];

function nonZero(list: ReturnType<typeof decodeStatusList>): Map<number, number> {
  const found = new Map<number, number>();
  for (let index = 0; index < list.size; index++) {
    const status = list.get(index) ?? 0;
    if (status !== 0) found.set(index, status);
  }
  return found;
}

async function codeOf(promise: Promise<unknown>): Promise<TokenErrorCode | 'accepted'> {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    if (!isTokenError(error)) throw error;
    return error.code;
  }
}

function codeOfSync(run: () => unknown): TokenErrorCode | 'accepted' {
  try {
    run();
    return 'accepted';
  } catch (error) {
    if (!isTokenError(error)) throw error;
    return error.code;
  }
}

describe('encodeStatusList', () => {
  it.each([
    ['1-bit', EXAMPLE_1_BIT, 1],
    ['2-bit', EXAMPLE_2_BIT, 2],
  ] as const)('reproduces the draft %s example byte for byte', (_, example, bits) => {
    expect(encodeStatusList(Uint8Array.from(example.statuses), bits)).toStrictEqual({
      bits,
      lst: example.lst,
    });
  });

  it('packs from the least significant bit of byte 0', () => {
    const { lst } = encodeStatusList(Uint8Array.from(EXAMPLE_1_BIT.statuses), 1);
    const view = decodeStatusList({ bits: 1, lst });
    expect(view.size).toBe(16);
    expect(EXAMPLE_1_BIT.statuses.map((_, i) => view.get(i))).toStrictEqual(EXAMPLE_1_BIT.statuses);
  });

  it('refuses a status that does not fit in the bits', () => {
    expect(codeOfSync(() => encodeStatusList(Uint8Array.from([0, 2]), 1))).toBe(
      'validation_failed',
    );
    expect(codeOfSync(() => encodeStatusList(Uint8Array.from([16]), 4))).toBe('validation_failed');
    expect(codeOfSync(() => encodeStatusList(new Uint8Array(1), 3 as StatusBits))).toBe(
      'validation_failed',
    );
  });

  it('round-trips any list for every bit size', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<StatusBits>(1, 2, 4, 8),
        fc.uint8Array({ maxLength: 2_000 }),
        (bits, raw) => {
          const statuses = raw.map((value) => value & ((1 << bits) - 1));
          const view = decodeStatusList(encodeStatusList(statuses, bits));
          expect(view.size).toBe(Math.ceil((statuses.length * bits) / 8) * (8 / bits));
          for (let i = 0; i < statuses.length; i++) expect(view.get(i)).toBe(statuses[i]);
          for (let i = statuses.length; i < view.size; i++) expect(view.get(i)).toBe(0);
          expect(view.get(view.size)).toBeUndefined();
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('decodeStatusList', () => {
  it.each([
    ['1-bit', EXAMPLE_1_BIT, 1],
    ['2-bit', EXAMPLE_2_BIT, 2],
  ] as const)('reads the draft %s example', (_, example, bits) => {
    const view = decodeStatusList({ bits, lst: example.lst });
    expect(view.size).toBe(example.statuses.length);
    expect(example.statuses.map((_, i) => view.get(i))).toStrictEqual(example.statuses);
  });

  it.each(VECTORS.map((vector) => [vector.bits, vector] as const))(
    'reads the draft %i-bit test vector of 2^20 entries',
    (_, vector) => {
      const view = decodeStatusList(vector);
      expect(view.size).toBe(STATUS_LIST_CAPACITY);
      expect(Object.fromEntries(nonZero(view))).toStrictEqual(
        Object.fromEntries(Object.entries(vector.set).map(([i, s]) => [i, s])),
      );
    },
  );

  it('reads the draft 8-bit test vector', () => {
    // The 8-bit vector sets 256 indices to the values 0…255; a sample of them.
    const lst = joined(
      'eNrt0WOQM2kYhtGsbdu2bdu2bdu2bdu2bdu2jVnU1my',
      '-SWYm6U5enFPVf7ue97orFYAo7CQBAACQuuckAABStqUEAAAAAAAAtN6wEgAE71QJA',
      'AAAAIrwhwQAAAAAAdtAAgAAAAAAACLwkAQAAAAAAAAAAACUaFcJAACAeJwkAQAAAAA',
      'AAABQvL4kAAAAWmJwCQAAAAAAAAjAwBIAAAB06ywJoDKQBARpfgkAAAAAAAAAAAAAA',
      'AAAAACo50sJAAAAAAAAAOiRcSQAAAAAgAJNKgEAAG23mgQAAAAAAECw3pUAQvegBAA',
      'AAAAAAADduE4CAAAAyjSvBAAQiw8koHjvSABAb-wlARCONyVoxtMSZOd0CQAAAOjWD',
      'RKQmLckAAAAAACysLYEQGcnSAAAAAAQooUlAABI15kSAIH5RAIgLB9LABC4_SUgGZN',
      'IAABAmM6RoLbTJIASzCIBAEAhfpcAAAAAAABquk8CAAAAAAAAaJl9SvvzBOICAFWmk',
      'IBgfSgBAAAANOgrCQAAAAAAAADStK8EAAC03gASAAAAAAAAAADFWFUCAAAAMjOaBEA',
      'DHpYAQjCIBADduFwCAAAAAGitMSSI3BUSAECOHpAA6IHrJQAAAAAAsjeVBAAAKRpVA',
      'orWvwQAAAAAAAAAkKRtJAAAAAAAgCbcLAF0bXUJAAAAoF02kYDg7CYBAAAAAEB6NpQ',
      'AAAAAAAAAAAAAAEr1uQQAAF06VgIAAAAAAAAAqDaeBAAQqgMkAAAAAABogQMlAAAAA',
      'AAa87MEAAAQiwslAAAAAAAAAAAAAAAAMrOyBAAAiekv-hcsY0Sgne6QAAAAAAAgaUt',
      'JAAAAAAAAAAAAAAAAAAAAAAAAAADwt-07vjVkAAAAgDy8KgFAUEaSAAAAAJL3vgQAW',
      'dhcAgAAoBHDSUDo1pQAAACI2o4SAABZm14CALoyuwQAAPznGQkgZwdLAAAQukclAAA',
      'AAAAAAAAAgKbMKgEAAAAAAAAAAAAAAAAAAECftpYAAAAAAAAAAAAACnaXBAAAAADk7',
      'iMJAAAAAAAAAABqe00CAnGbBBG4TAIAgFDdKgFAXCaWAAAAAAAAAAAAAAAAAKAJQwR',
      '72XbGAQAAAKAhh0sAAAAAAABQgO8kAAAAAAAAAAAAACAaM0kAAAC5W0QCAIJ3mAQAx',
      'GwxCQAA6nhSAsjZBRIAANEbWQIAAAAAaJE3JACAwA0qAUBIVpKAlphbAiAPp0iQnKE',
      'kAAAAAAAgBP1KAAAAdOl4CQAAAAAAAPjLZBIAAG10RtrPm8_CAEBMTpYAAAAAAIjQY',
      'BL8z5QSAAAAAEDYPpUAACAsj0gAAADQkHMlAAjHDxIA0Lg9JQAAgHDsLQEAAABAQS6',
      'WAAAAgLjNFs2l_RgLAIAEfCEBlGZZCQAAaIHjJACgtlskAAAozb0SAAAAVFtfAgAAA',
      'AAAAAAAAAAAAAAAAAAAAKDDtxIAAAAAVZaTAKB5W0kAANCAsSUgJ0tL0GqHSNBbL0g',
      'AZflRAgCARG0kQXNmlgCABiwkAQAAAEB25pIAAAAAAAAAAAAAoFh9SwAAAAAAADWNm',
      'OSrpjFsEoaRgDKcF9Q1dxsEAAAAAAAAAAAAAAAAgPZ6SQIAAAAAAAAAgChMLgEAAAA',
      'AAAAAqZlQAsK2qQQAAAAAAAD06XUJAAAAqG9bCQAAgLD9IgEAAAAAAAAAAAAAAAAAA',
      'EBNe0gAAAAAAAAAAEBPHSEBAAAAlOZtCYA4fS8B0GFRCQAo0gISAOTgNwmC840EAAA',
      'AAAAAAAAAAAAAAAAAUJydJfjXPBIAAAAAAAAAAAAAAABk6WwJAAAAAAAAAAAAAAAAq',
      'G8UCQAAgPpOlAAAIA83SQAANWwc9HUjGAgAAAAAAACAusaSAAAAAAAAAAAAAAAAAAA',
      'AAAAAAAAAqHKVBACQjxklAAAAAAAAAKBHxpQAAAAAACBME0lAdlaUAACyt7sEAAAA0',
      'Nl0EgAAAAAAAAAAAABA-8wgAQAAAAAAAKU4SgKgUtlBAgAAAAAAAAAAgMCMLwEE51k',
      'JICdzSgCJGl2CsE0tAQAA0L11JQAAAAAAAAjUOhIAAAAAAAAAAAAAAGTqeQkAAAAAA',
      'AAAAAAAKM8SEjTrJwkAAAAAAACocqQEULgVJAAAACjDUxJUKgtKAAAAqbpRAgCA0n0',
      'mAQAAAABAGzwmAUCTLpUAAAAAAAAAAEjZNRIAAAAAAAAAAAAAAAAAAAAA8I-vJaAlh',
      'pQAAAAAAHrvzjJ-OqCuuVlLAojP8BJAr70sQZVDJYAgXS0BAAAAAAAAAAAAtMnyEgA',
      'AAAAAFONKCQAAAAAAAADorc0kAAAAAAAAgDqOlgAAAAAAAAAAAADIwv0SAAAAAAAAA',
      'AAAAADBuV0CIFVDSwAAAABAAI6RAAAAAGIwrQSEZAsJAABouRclAAAAAKDDrxIAAAA',
      '0bkkJgFiMKwEAAAAAAHQyhwRk7h4JAAAAAAAAAAAgatdKAACUYj0JAAAAAAAAAAAAQ',
      'nORBLTFJRIAAAAAkIaDJAAAAJryngQAAAAAAAAAAAA98oQEAAAAAAAAAEC2zpcgWY9',
      'LQKL2kwAgGK9IAAAAAPHaRQIAAAAAAAAAAADIxyoSAAAAAAAAAAAAAADQFotLAECz_',
      'gQ1PX-B',
    );
    const view = decodeStatusList({ bits: 8, lst });
    expect(view.size).toBe(STATUS_LIST_CAPACITY);
    const sample: Record<number, number> = {
      233478: 0,
      52451: 1,
      576778: 2,
      513575: 3,
      468106: 4,
      13628: 20,
      1046963: 78,
      6805: 112,
      1199: 121,
      4520: 213,
      152133: 254,
      19535: 255,
    };
    for (const [index, status] of Object.entries(sample)) {
      expect(view.get(Number(index)), `status[${index}]`).toBe(status);
    }
    expect(nonZero(view).size).toBe(255);
  });

  it('re-encodes the draft vectors to lists with the same content', () => {
    for (const vector of VECTORS) {
      const original = decodeStatusList(vector);
      const statuses = new Uint8Array(original.size).map((_, i) => original.get(i) ?? 0);
      const again = decodeStatusList(encodeStatusList(statuses, vector.bits));
      expect(nonZero(again)).toStrictEqual(nonZero(original));
    }
  });

  it('refuses a ZLIB bomb rather than inflate it', () => {
    const bomb = Buffer.from(deflateSync(new Uint8Array(32 * 1024 * 1024), { level: 9 })).toString(
      'base64url',
    );
    expect(bomb.length).toBeLessThan(64 * 1024);
    expect(codeOfSync(() => decodeStatusList({ bits: 1, lst: bomb }))).toBe('malformed_token');
  });

  it.each([
    ['bits 3', { bits: 3, lst: EXAMPLE_1_BIT.lst }],
    ['bits as a string', { bits: '1', lst: EXAMPLE_1_BIT.lst }],
    ['lst that is not base64url', { bits: 1, lst: 'eNr+buRgAAhcBXQ=' }],
    ['lst that is raw DEFLATE without the ZLIB header', { bits: 1, lst: '27kYAA' }],
    ['lst that is not compressed', { bits: 1, lst: 'uaM' }],
    ['lst missing', { bits: 1 }],
  ])('refuses %s with malformed_token', (_, list) => {
    expect(codeOfSync(() => decodeStatusList(list as { bits: unknown; lst: unknown }))).toBe(
      'malformed_token',
    );
  });

  it('answers undefined outside the list', () => {
    const view = decodeStatusList({ bits: 1, lst: EXAMPLE_1_BIT.lst });
    for (const index of [-1, 16, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER]) {
      expect(view.get(index)).toBeUndefined();
    }
  });
});

describe('status list tokens', () => {
  const NOW = new Date('2026-03-02T09:30:00.000Z');
  const URI = statusListUrl('https://identity.tongban.example/', 0);
  let issuer: IssuerKey;

  beforeAll(async () => {
    issuer = await makeIssuerKey();
  });

  function issue(overrides: Partial<Parameters<typeof issueStatusListToken>[0]> = {}) {
    return issueStatusListToken({
      key: issuer.privateKey,
      kid: issuer.kid,
      issuer: 'tb',
      uri: URI,
      list: { bits: 1, lst: EXAMPLE_1_BIT.lst },
      now: NOW,
      ttlSeconds: 300,
      expiresInSeconds: 86_400,
      ...overrides,
    });
  }

  function verify(
    token: string,
    overrides: Partial<Parameters<typeof verifyStatusListToken>[1]> = {},
  ) {
    return verifyStatusListToken(token, {
      resolver: resolverFor(issuer),
      issuer: 'tb',
      now: NOW,
      ...overrides,
    });
  }

  it('names the list by its URL under identity', () => {
    expect(URI).toBe('https://identity.tongban.example/v1/status-lists/0');
  });

  it('carries the draft header and claims', async () => {
    const { token, issuedAt, expiresAt } = await issue();
    expect(decodeProtectedHeader(token)).toStrictEqual({
      alg: 'EdDSA',
      typ: 'statuslist+jwt',
      kid: issuer.kid,
    });
    const iat = NOW.getTime() / 1000;
    expect(decodeJwt(token)).toStrictEqual({
      iss: 'tb',
      sub: URI,
      iat,
      exp: iat + 86_400,
      ttl: 300,
      status_list: { bits: 1, lst: EXAMPLE_1_BIT.lst },
    });
    expect(issuedAt).toStrictEqual(NOW);
    expect(expiresAt).toStrictEqual(new Date(NOW.getTime() + 86_400_000));
  });

  it('verifies and opens the list', async () => {
    const { token } = await issue();
    const list = await verify(token);
    expect(list).toMatchObject({
      uri: URI,
      issuer: 'tb',
      issuedAt: NOW,
      expiresAt: new Date(NOW.getTime() + 86_400_000),
      ttl: 300,
      bits: 1,
      size: 16,
    });
    expect(EXAMPLE_1_BIT.statuses.map((_, i) => list.get(i))).toStrictEqual(EXAMPLE_1_BIT.statuses);
  });

  it('omits exp for a list without expiry', async () => {
    const { token, expiresAt } = await issue({ expiresInSeconds: undefined });
    expect(expiresAt).toBeUndefined();
    expect(decodeJwt(token).exp).toBeUndefined();
    const list = await verify(token, { now: new Date('2036-01-01T00:00:00Z') });
    expect(list.expiresAt).toBeUndefined();
  });

  it('refuses an expired list with status_list_expired, 30 s of skew allowed', async () => {
    const { token } = await issue({ expiresInSeconds: 600 });
    const at = (s: number) => new Date(NOW.getTime() + s * 1000);
    await expect(codeOf(verify(token, { now: at(630) }))).resolves.toBe('accepted');
    await expect(codeOf(verify(token, { now: at(631) }))).resolves.toBe('status_list_expired');
  });

  it('refuses a list dated in the future with status_list_not_yet_valid', async () => {
    const { token } = await issue();
    await expect(codeOf(verify(token, { now: new Date(NOW.getTime() - 31_000) }))).resolves.toBe(
      'status_list_not_yet_valid',
    );
  });

  it('refuses a list of another issuer id with signature_invalid', async () => {
    const { token } = await issue({ issuer: 'other' });
    await expect(codeOf(verify(token))).resolves.toBe('signature_invalid');
    await expect(codeOf(verify(token, { issuer: undefined }))).resolves.toBe('accepted');
  });

  it('refuses a list signed by an unknown key with unknown_key', async () => {
    const { token } = await issue();
    await expect(codeOf(verify(token, { resolver: fixedResolver(undefined) }))).resolves.toBe(
      'unknown_key',
    );
  });

  it('refuses a presentation token offered as a status list with signature_invalid', async () => {
    const { token } = await issuePresentationToken({
      key: issuer.privateKey,
      kid: issuer.kid,
      issuer: 'tb',
      subject: 'AAAAAAAAAAAAAAAA',
      statusIndex: 1,
      deviceKeyId: 'AAAAAAAAAAA',
      now: NOW,
    });
    await expect(codeOf(verify(token))).resolves.toBe('signature_invalid');
  });

  it('refuses a tampered list with signature_invalid', async () => {
    const { token } = await issue();
    const [h, p, s] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const cleared = encodeStatusList(new Uint8Array(16), 1);
    const tampered = `${h}.${b64json({ ...claims, status_list: cleared })}.${s}`;
    await expect(codeOf(verify(tampered))).resolves.toBe('signature_invalid');
  });

  it('does not inflate the list of a token whose signature fails', async () => {
    const bomb = Buffer.from(deflateSync(new Uint8Array(32 * 1024 * 1024))).toString('base64url');
    const forged = await signRaw(
      (await makeIssuerKey()).privateKey,
      { alg: 'EdDSA', typ: 'statuslist+jwt', kid: issuer.kid },
      { sub: URI, iat: NOW.getTime() / 1000, status_list: { bits: 1, lst: bomb } },
    );
    await expect(codeOf(verify(forged, { issuer: undefined }))).resolves.toBe('signature_invalid');
  });

  it.each([
    ['no sub', { sub: undefined }],
    ['no iat', { iat: undefined }],
    ['a zero ttl', { ttl: 0 }],
    ['a string exp', { exp: 'soon' }],
    ['no status_list', { status_list: undefined }],
    ['status_list with bits 3', { status_list: { bits: 3, lst: EXAMPLE_1_BIT.lst } }],
  ])('refuses a signed list with %s as malformed_token', async (_, overrides) => {
    const token = await signRaw(
      issuer.privateKey,
      { alg: 'EdDSA', typ: 'statuslist+jwt', kid: issuer.kid },
      {
        iss: 'tb',
        sub: URI,
        iat: NOW.getTime() / 1000,
        ttl: 300,
        status_list: { bits: 1, lst: EXAMPLE_1_BIT.lst },
        ...overrides,
      },
    );
    await expect(codeOf(verify(token))).resolves.toBe('malformed_token');
  });

  it('refuses to sign a list a verifier could not read', async () => {
    await expect(codeOf(issue({ list: { bits: 1, lst: '!!' } }))).resolves.toBe(
      'validation_failed',
    );
    await expect(codeOf(issue({ ttlSeconds: 0 }))).resolves.toBe('validation_failed');
  });
});
