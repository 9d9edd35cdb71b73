import { toBase64Url } from '@tongban/merkle-log';
import fc from 'fast-check';
import { SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LOG_ISSUER, LOG_HEAD_TYP, verifyCheckpoint } from '../src/index.js';
import { historyOf, jwksOf, type LogKey, makeKey, signHead } from './helpers.js';

const ROOT = new Uint8Array(32).map((_, i) => i);
const IAT = Math.floor(Date.UTC(2026, 2, 2, 9, 30) / 1000);

describe('verifyCheckpoint', () => {
  let key: LogKey;
  let other: LogKey;
  let head: string;
  beforeAll(async () => {
    key = await makeKey();
    other = await makeKey();
    head = await signHead(key, { treeSize: 12, root: ROOT, iat: IAT });
  });

  it('reads a head signed by a key of the JWKS', async () => {
    const verdict = await verifyCheckpoint(head, jwksOf(other, key));
    expect(verdict).toMatchObject({
      ok: true,
      checkpoint: { treeSize: 12, rootHash: ROOT, issuer: DEFAULT_LOG_ISSUER, kid: key.kid },
    });
    if (verdict.ok) expect(verdict.checkpoint.issuedAt.getTime()).toBe(IAT * 1000);
  });

  it('reads an old head, long past its exp, with the key history', async () => {
    const history = historyOf(key, {
      from: new Date((IAT - 3600) * 1000),
      until: new Date((IAT + 60) * 1000),
    });
    expect((await verifyCheckpoint(head, history)).ok).toBe(true);
  });

  it('refuses a head issued outside its key’s signing window, and a withdrawn key’s heads', async () => {
    const before = historyOf(key, { from: new Date((IAT + 3600) * 1000) });
    expect(await verifyCheckpoint(head, before)).toMatchObject({
      ok: false,
      problem: 'outside_key_window',
    });
    const after = historyOf(key, {
      from: new Date((IAT - 7200) * 1000),
      until: new Date((IAT - 3600) * 1000),
    });
    expect(await verifyCheckpoint(head, after)).toMatchObject({
      ok: false,
      problem: 'outside_key_window',
    });
    const withdrawn = historyOf(key, {
      from: new Date((IAT - 3600) * 1000),
      withdrawnAt: new Date((IAT + 3600) * 1000),
    });
    expect(await verifyCheckpoint(head, withdrawn)).toMatchObject({
      ok: false,
      problem: 'key_withdrawn',
    });
  });

  it('refuses an unknown key, another issuer, and a signature by another key', async () => {
    expect(await verifyCheckpoint(head, jwksOf(other))).toMatchObject({
      ok: false,
      problem: 'unknown_key',
    });
    expect(await verifyCheckpoint(head, { keys: [] })).toMatchObject({
      ok: false,
      problem: 'unknown_key',
    });
    const foreign = await signHead(key, { treeSize: 12, root: ROOT, issuer: 'tb-workflow' });
    expect(await verifyCheckpoint(foreign, jwksOf(key))).toMatchObject({
      ok: false,
      problem: 'wrong_issuer',
    });
    expect((await verifyCheckpoint(foreign, jwksOf(key), { issuer: 'tb-workflow' })).ok).toBe(true);
    // Signed by `other` but naming `key`'s kid.
    const impostor = await new SignJWT({
      iss: DEFAULT_LOG_ISSUER,
      tree_size: 12,
      root_hash: toBase64Url(ROOT),
    })
      .setProtectedHeader({ alg: 'EdDSA', typ: LOG_HEAD_TYP, kid: key.kid })
      .setIssuedAt(IAT)
      .sign(other.privateKey);
    expect(await verifyCheckpoint(impostor, jwksOf(key))).toMatchObject({
      ok: false,
      problem: 'signature_invalid',
    });
  });

  it('refuses another typ, an embedded key, an unusable payload', async () => {
    const jwks = jwksOf(key);
    const wrongTyp = await signHead(key, { treeSize: 1, root: ROOT }, { typ: 'JWT' });
    expect(await verifyCheckpoint(wrongTyp, jwks)).toMatchObject({
      ok: false,
      problem: 'malformed',
    });
    const embedded = await signHead(key, { treeSize: 1, root: ROOT }, { jwk: other.jwk });
    expect(await verifyCheckpoint(embedded, jwks)).toMatchObject({
      ok: false,
      problem: 'malformed',
    });
    const short = await new SignJWT({
      iss: DEFAULT_LOG_ISSUER,
      tree_size: 1,
      root_hash: toBase64Url(ROOT.slice(1)),
    })
      .setProtectedHeader({ alg: 'EdDSA', typ: LOG_HEAD_TYP, kid: key.kid })
      .setIssuedAt(IAT)
      .sign(key.privateKey);
    expect(await verifyCheckpoint(short, jwks)).toMatchObject({ ok: false, problem: 'malformed' });
    const negative = await new SignJWT({
      iss: DEFAULT_LOG_ISSUER,
      tree_size: -1,
      root_hash: toBase64Url(ROOT),
    })
      .setProtectedHeader({ alg: 'EdDSA', typ: LOG_HEAD_TYP, kid: key.kid })
      .setIssuedAt(IAT)
      .sign(key.privateKey);
    expect(await verifyCheckpoint(negative, jwks)).toMatchObject({
      ok: false,
      problem: 'malformed',
    });
    for (const text of ['', 'a.b', 'not a jws', `${head}.extra`]) {
      expect(await verifyCheckpoint(text, jwks)).toMatchObject({ ok: false, problem: 'malformed' });
    }
  });

  it('refuses alg none and HMAC heads', async () => {
    const b64 = (value: unknown) => toBase64Url(new TextEncoder().encode(JSON.stringify(value)));
    const payload = b64({
      iss: DEFAULT_LOG_ISSUER,
      tree_size: 1,
      root_hash: toBase64Url(ROOT),
      iat: IAT,
    });
    const none = `${b64({ alg: 'none', typ: LOG_HEAD_TYP, kid: key.kid })}.${payload}.`;
    expect((await verifyCheckpoint(none, jwksOf(key))).ok).toBe(false);
    const hmac = await new SignJWT({
      iss: DEFAULT_LOG_ISSUER,
      tree_size: 1,
      root_hash: toBase64Url(ROOT),
    })
      .setProtectedHeader({ alg: 'HS256', typ: LOG_HEAD_TYP, kid: key.kid })
      .sign(new Uint8Array(32));
    expect(await verifyCheckpoint(hmac, jwksOf(key))).toMatchObject({
      ok: false,
      problem: 'malformed',
    });
  });

  it('refuses any head altered by one character', async () => {
    const jwks = jwksOf(key);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.nat(), async (at, pick) => {
        const i = at % head.length;
        if (head[i] === '.') return;
        const replacement = alphabet[pick % alphabet.length] as string;
        if (replacement === head[i]) return;
        const altered = head.slice(0, i) + replacement + head.slice(i + 1);
        const verdict = await verifyCheckpoint(altered, jwks);
        // The signature covers the text of header and payload, so any change there fails. Only
        // the signature's last character carries 4 spare bits a decoder may ignore: changing
        // those leaves the signature's bytes, and the head, as they were.
        if (verdict.ok) expect(i).toBe(head.length - 1);
      }),
      { numRuns: 300 },
    );
  });
});
