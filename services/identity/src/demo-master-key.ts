import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Outside production, a missing master key is generated once and kept beside the demo data, and
 * the operator is told so. loadConfig already refused to start production without one.
 */
export async function demoMasterKey(dataRoot: string): Promise<Buffer> {
  const file = join(dataRoot, 'secrets', 'identity-master.key');
  try {
    return Buffer.from((await readFile(file, 'utf8')).trim(), 'base64url');
  } catch {
    await mkdir(join(dataRoot, 'secrets'), { recursive: true, mode: 0o700 });
    const key = randomBytes(32);
    await writeFile(file, key.toString('base64url'), { mode: 0o600, flag: 'wx' }).catch(() => {
      // Another process wrote it first: use theirs.
    });
    const stored = Buffer.from((await readFile(file, 'utf8')).trim(), 'base64url');
    process.stderr.write(
      `identity: no IDENTITY_MASTER_KEY set; generated a demo master key in ${file}. Production refuses to start without one.\n`,
    );
    return stored;
  }
}
