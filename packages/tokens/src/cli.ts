/**
 * tongban-verify: check a resident's presentation QR with no network, from a trust bundle fetched
 * earlier while the counter was online.
 *
 *   pnpm --filter @tongban/tokens exec tsx src/cli.ts bundle --identity http://localhost:3001 --out trust.json
 *   pnpm --filter @tongban/tokens exec tsx src/cli.ts verify --bundle trust.json --qr code.png
 *
 * and a record certificate (a certified copy records signed) against records' saved JWKS:
 *
 *   pnpm tokens verify-record certificate.jws --jwks records-jwks.json
 *
 * Exit codes: 0 valid, 1 refused, 2 usage or I/O error.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { JSONWebKeySet } from 'jose';
import jsqr from 'jsqr';
import { PNG } from 'pngjs';
import { isTokenError } from './errors.js';
import { isPlainObject } from './jws.js';
import {
  bundleKeyResolver,
  formatVerificationResult,
  verifyPresentationOffline,
} from './offline.js';
import {
  RECORD_CERTIFICATE_ISSUER,
  type VerifiedRecordCertificate,
  verifyRecordCertificate,
} from './record-certificate.js';
import { statusListUrl, verifyStatusListToken } from './status-list.js';

export const EXIT_VALID = 0;
export const EXIT_REFUSED = 1;
export const EXIT_USAGE = 2;

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly readFile: (path: string) => Promise<Uint8Array>;
  readonly writeFile: (path: string, text: string) => Promise<void>;
  readonly fetch: typeof fetch;
  readonly now: () => Date;
}

/** What `bundle` writes and `verify` reads. */
export interface TrustBundle {
  readonly issuer: string;
  readonly identityUrl: string;
  readonly fetchedAt: string;
  readonly jwks: JSONWebKeySet;
  readonly statusLists: readonly string[];
}

const USAGE = `usage:
  tongban-verify bundle --identity <baseUrl> [--issuer tb] [--lists 0,1] --out trust.json
  tongban-verify verify --bundle trust.json (--token <jws> | --qr <image.png>) [--now <ISO time>]
  tongban-verify verify-record (<certificate file> | <jws>) --jwks <records-jwks.json> [--issuer ${RECORD_CERTIFICATE_ISSUER}] [--now <ISO time>]`;

/** A failure that is the operator's to fix (arguments, files, network): exit code 2. */
class UsageError extends Error {}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'bundle':
        return await bundle(rest, io);
      case 'verify':
        return await verify(rest, io);
      case 'verify-record':
        return await verifyRecord(rest, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.stdout(USAGE);
        return command === undefined ? EXIT_USAGE : EXIT_VALID;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError || isParseArgsError(error)) {
      io.stderr(`tongban-verify: ${(error as Error).message}\n${USAGE}`);
      return EXIT_USAGE;
    }
    throw error;
  }
}

async function bundle(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      identity: { type: 'string' },
      issuer: { type: 'string', default: 'tb' },
      lists: { type: 'string', default: '0' },
      out: { type: 'string' },
    },
    strict: true,
  });
  const identityUrl = required(values.identity, '--identity').replace(/\/+$/, '');
  const out = required(values.out, '--out');
  const issuer = values.issuer;
  const listNumbers = parseListNumbers(values.lists);

  const jwks = parseJwks(JSON.parse(await fetchText(io, `${identityUrl}/.well-known/jwks.json`)));
  const resolver = bundleKeyResolver(jwks);
  const now = io.now();
  const statusLists: string[] = [];
  for (const n of listNumbers) {
    const url = statusListUrl(identityUrl, n);
    const token = statusListTokenFrom(await fetchText(io, url, 'application/statuslist+jwt'));
    try {
      const list = await verifyStatusListToken(token, { resolver, issuer, now });
      if (list.uri !== url) {
        io.stderr(
          `warning: status list ${n} names itself ${list.uri}, not ${url}; verify will not match it`,
        );
      }
    } catch (error) {
      if (!isTokenError(error)) throw error;
      throw new UsageError(`status list ${n} from ${url} does not verify (${error.code})`);
    }
    statusLists.push(token);
  }

  const trust: TrustBundle = {
    issuer,
    identityUrl,
    fetchedAt: now.toISOString(),
    jwks,
    statusLists,
  };
  await io.writeFile(out, `${JSON.stringify(trust, null, 2)}\n`).catch((cause: unknown) => {
    throw new UsageError(`cannot write ${out}: ${describe(cause)}`);
  });
  io.stdout(
    `wrote ${out}: ${jwks.keys.length} key(s), ${statusLists.length} status list(s) from ${identityUrl}`,
  );
  return EXIT_VALID;
}

async function verify(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      bundle: { type: 'string' },
      token: { type: 'string' },
      qr: { type: 'string' },
      now: { type: 'string' },
    },
    strict: true,
  });
  const bundlePath = required(values.bundle, '--bundle');
  if ((values.token === undefined) === (values.qr === undefined)) {
    throw new UsageError('give exactly one of --token or --qr');
  }
  const now = values.now === undefined ? io.now() : new Date(values.now);
  if (Number.isNaN(now.getTime())) {
    throw new UsageError(`--now is not an ISO date: ${values.now}`);
  }
  const trust = parseBundle(await readText(io, bundlePath));
  const token = values.token ?? decodeQrPng(await readBytes(io, values.qr ?? ''));

  const result = await verifyPresentationOffline(token, {
    jwks: trust.jwks,
    statusLists: trust.statusLists,
    issuer: trust.issuer,
    now,
    statusListUri: (n) => statusListUrl(trust.identityUrl, n),
  });
  io.stdout(formatVerificationResult(result));
  return result.valid ? EXIT_VALID : EXIT_REFUSED;
}

const JWS = /^[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;

/** What each refusal means for the person holding the certificate. */
const CERTIFICATE_REASONS: Readonly<Record<string, string>> = {
  malformed_token: 'This is not a Tongban record certificate.',
  signature_invalid:
    'The certificate was not signed by records as it is, or not as a record certificate: it may be forged or altered.',
  unknown_key:
    "The certificate was signed by a key this JWKS does not hold: fetch records' /.well-known/jwks.json again.",
  certificate_expired: 'The certificate has expired; ask for a fresh one.',
  certificate_not_yet_valid: "The certificate is dated in the future; check this computer's clock.",
};

async function verifyRecord(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: {
      jwks: { type: 'string' },
      issuer: { type: 'string', default: RECORD_CERTIFICATE_ISSUER },
      now: { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1) {
    throw new UsageError('give one certificate: a file holding it, or the JWS itself');
  }
  const [source = ''] = positionals;
  const jwksPath = required(values.jwks, '--jwks');
  const now = values.now === undefined ? io.now() : new Date(values.now);
  if (Number.isNaN(now.getTime())) {
    throw new UsageError(`--now is not an ISO date: ${values.now}`);
  }
  let jwksJson: unknown;
  try {
    jwksJson = JSON.parse(await readText(io, jwksPath));
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${jwksPath} is not JSON`);
  }
  const jwks = parseJwks(jwksJson);
  const jws = JWS.test(source) ? source : (await readText(io, source)).trim();

  let verified: VerifiedRecordCertificate;
  try {
    verified = await verifyRecordCertificate(jws, { jwks, issuer: values.issuer, now });
  } catch (error) {
    if (!isTokenError(error)) throw error;
    io.stdout(
      `refused (${error.code}): ${CERTIFICATE_REASONS[error.code] ?? 'The certificate could not be checked.'} (${error.message})`,
    );
    return EXIT_REFUSED;
  }
  io.stdout(formatRecordCertificate(verified));
  return EXIT_VALID;
}

export function formatRecordCertificate({ header, claims }: VerifiedRecordCertificate): string {
  const at = (seconds: number) => new Date(seconds * 1000).toISOString();
  const purpose =
    claims.case === undefined ? claims.purpose : `${claims.purpose} (case ${claims.case})`;
  return [
    `valid record certificate: ${claims.record.type} ${claims.record.id} version ${claims.record.version}`,
    `  subject     ${claims.sub}`,
    `  released    by ${claims.issuer_department} to ${claims.recipient_department} for ${purpose}`,
    `  issued      ${at(claims.iat)}, expires ${at(claims.exp)}`,
    `  signed by   ${claims.iss}, key ${header.kid}`,
    'claims:',
    JSON.stringify(claims, null, 2),
  ].join('\n');
}

/** The text of the first QR code in a PNG image. */
export function decodeQrPng(png: Uint8Array): string {
  let image: PNG;
  try {
    image = PNG.sync.read(Buffer.from(png.buffer, png.byteOffset, png.byteLength));
  } catch (cause) {
    throw new UsageError(`not a readable PNG image: ${describe(cause)}`);
  }
  const pixels = new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.length);
  // jsqr is CommonJS whose types describe an ES default export: under NodeNext the default
  // import is `module.exports`, which carries the function as `.default` as well.
  const code = jsqr.default(pixels, image.width, image.height);
  if (code === null) {
    throw new UsageError('no QR code found in the image');
  }
  return code.data;
}

function parseBundle(text: string): TrustBundle {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError('the bundle is not JSON');
  }
  if (
    !isPlainObject(value) ||
    typeof value.issuer !== 'string' ||
    typeof value.identityUrl !== 'string' ||
    typeof value.fetchedAt !== 'string' ||
    !Array.isArray(value.statusLists) ||
    !value.statusLists.every((list) => typeof list === 'string')
  ) {
    throw new UsageError('the bundle is not a Tongban trust bundle');
  }
  return {
    issuer: value.issuer,
    identityUrl: value.identityUrl,
    fetchedAt: value.fetchedAt,
    jwks: parseJwks(value.jwks),
    statusLists: value.statusLists,
  };
}

function parseJwks(value: unknown): JSONWebKeySet {
  if (!isPlainObject(value) || !Array.isArray(value.keys) || !value.keys.every(isPlainObject)) {
    throw new UsageError('the JWKS is not a JSON Web Key Set');
  }
  return { keys: value.keys };
}

/** Identity may answer with the bare JWT (the draft's media type) or with JSON carrying it. */
function statusListTokenFrom(body: string): string {
  const text = body.trim();
  if (!text.startsWith('{')) return text;
  try {
    const parsed: unknown = JSON.parse(text);
    if (isPlainObject(parsed) && typeof parsed.token === 'string') return parsed.token;
  } catch {
    // fall through to the error below
  }
  throw new UsageError('the status list response is neither a JWT nor {"token": …}');
}

function parseListNumbers(text: string): number[] {
  const numbers = text.split(',').map((part) => Number(part.trim()));
  if (numbers.length === 0 || !numbers.every((n) => Number.isSafeInteger(n) && n >= 0)) {
    throw new UsageError(`--lists must be comma-separated list numbers, got "${text}"`);
  }
  return [...new Set(numbers)];
}

async function fetchText(io: CliIo, url: string, accept = 'application/json'): Promise<string> {
  let response: Response;
  try {
    response = await io.fetch(url, { headers: { accept }, signal: AbortSignal.timeout(15_000) });
  } catch (cause) {
    throw new UsageError(`cannot fetch ${url}: ${describe(cause)}`);
  }
  if (!response.ok) {
    throw new UsageError(`GET ${url} answered ${response.status}`);
  }
  return response.text();
}

async function readBytes(io: CliIo, path: string): Promise<Uint8Array> {
  try {
    return await io.readFile(path);
  } catch (cause) {
    throw new UsageError(`cannot read ${path}: ${describe(cause)}`);
  }
}

async function readText(io: CliIo, path: string): Promise<string> {
  return new TextDecoder().decode(await readBytes(io, path));
}

function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw new UsageError(`${flag} is required`);
  return value;
}

function isParseArgsError(error: unknown): error is Error {
  if (!(error instanceof Error) || !('code' in error)) return false;
  return typeof error.code === 'string' && error.code.startsWith('ERR_PARSE_ARGS');
}

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

export const nodeIo: CliIo = {
  stdout: (text) => process.stdout.write(`${text}\n`),
  stderr: (text) => process.stderr.write(`${text}\n`),
  readFile: (path) => readFile(path),
  writeFile: (path, text) => writeFile(path, text, 'utf8'),
  fetch: (input, init) => fetch(input, init),
  now: () => new Date(),
};

// Run only when executed (tsx src/cli.ts …), never when imported by tests or other code.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await runCli(process.argv.slice(2), nodeIo);
}
