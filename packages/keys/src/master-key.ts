import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '@tongban/service-kit';
import { MASTER_KEY_BYTES } from './sealing.js';

export interface MasterKeyFromEnvOptions {
  /** The variable's name, e.g. `RECORDS_MASTER_KEY`: every message names it. */
  readonly variable: string;
  readonly value: string | undefined;
  readonly env: 'development' | 'production' | 'test';
}

/**
 * For a service's `loadConfig`: decodes the master key (base64url or base64, at least 32 bytes).
 * Production without one fails here, at start, with the variable's name: there is no default
 * secret. Elsewhere it may be absent, and `resolveMasterKey` makes a demo key.
 */
export function masterKeyFromEnv({
  variable,
  value,
  env,
}: MasterKeyFromEnvOptions): Buffer | undefined {
  if (value === undefined || value === '') {
    if (env === 'production') {
      throw new ConfigError([
        `${variable}: required in production (${MASTER_KEY_BYTES} random bytes, base64url); there is no default`,
      ]);
    }
    return undefined;
  }
  return decodeMasterKey(value, variable);
}

function decodeMasterKey(text: string, source: string): Buffer {
  const normalised = text.trim().replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const key = /^[A-Za-z0-9_-]+$/.test(normalised)
    ? Buffer.from(normalised, 'base64url')
    : Buffer.alloc(0);
  if (key.length < MASTER_KEY_BYTES) {
    throw new ConfigError([
      `${source}: must be base64url or base64 of at least ${MASTER_KEY_BYTES} bytes`,
    ]);
  }
  return key;
}

export interface ResolveMasterKeyOptions {
  /** e.g. `records`: names the file `<dataDir>/secrets/records-master.key`. */
  readonly service: string;
  readonly variable: string;
  /** What `masterKeyFromEnv` returned. */
  readonly configured: Buffer | undefined;
  readonly env: 'development' | 'production' | 'test';
  /** The service's data folder root (the parent of each service's database folder). */
  readonly dataDir: string;
  /** Where the operator is told about a generated key; stderr in a server. */
  readonly notice: (line: string) => void;
}

/**
 * For `server.ts`: the configured key, or outside production a demo key generated once beside the
 * demo data and reused on every start (its signing keys stay readable across restarts).
 */
export async function resolveMasterKey(options: ResolveMasterKeyOptions): Promise<Buffer> {
  if (options.configured) return options.configured;
  if (options.env === 'production') {
    throw new ConfigError([`${options.variable}: required in production; there is no default`]);
  }
  const dir = join(options.dataDir, 'secrets');
  const file = join(dir, `${options.service}-master.key`);
  const existing = await readKeyFile(file);
  if (existing) return existing;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // Written whole under a private name ('wx': never onto someone else's file), then linked into
  // place. link() fails if the name exists, so of replicas (or services) starting together exactly
  // one key wins, and nobody can read a half-written file.
  const draft = `${file}.${process.pid}.${randomBytes(6).toString('hex')}`;
  await writeFile(draft, randomBytes(MASTER_KEY_BYTES).toString('base64url'), {
    mode: 0o600,
    flag: 'wx',
  });
  let written: boolean;
  try {
    await link(draft, file);
    written = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    written = false;
  } finally {
    await unlink(draft);
  }
  const stored = await readKeyFile(file);
  if (!stored) throw new Error(`${file} vanished while it was being created`);
  if (written) {
    options.notice(
      `${options.service}: no ${options.variable} set; generated a demo master key in ${file}. Production refuses to start without one.`,
    );
  }
  return stored;
}

async function readKeyFile(file: string): Promise<Buffer | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return decodeMasterKey(text, file);
}

/**
 * For `server.ts`: the service's configured master key (`<SERVICE>_MASTER_KEY`), or outside
 * production the demo key kept under `<data root>/secrets/`, announced on stderr.
 */
export function serviceMasterKey(options: {
  readonly service: string;
  readonly config: {
    readonly masterKey: Buffer | undefined;
    readonly env: ResolveMasterKeyOptions['env'];
  };
  readonly dataRoot: string;
}): Promise<Buffer> {
  return resolveMasterKey({
    service: options.service,
    variable: `${options.service.toUpperCase()}_MASTER_KEY`,
    configured: options.config.masterKey,
    env: options.config.env,
    dataDir: options.dataRoot,
    notice: (line) => process.stderr.write(`${line}\n`),
  });
}
