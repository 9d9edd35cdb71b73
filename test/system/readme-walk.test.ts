import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSystem, startSystem } from '../helpers/system.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
/** The ```sh block right after the marker line, exactly as a reader would copy it. */
function blockAfterMarker(readme: string, marker: string): string {
  const at = readme.indexOf(marker);
  if (at < 0) throw new Error(`README.md has no ${marker} line`);
  const rest = readme.slice(at + marker.length);
  const match = /^\s*\n```sh\n([\s\S]*?)\n```(?:\n|$)/.exec(rest);
  if (!match?.[1]) throw new Error(`README.md has no \`\`\`sh block right after ${marker}`);
  return `${match[1]}\n`;
}

interface Walk {
  readonly code: number | null;
  readonly output: string;
}

/** Runs a README block with bash -euo pipefail, as a reader pasting it into a terminal would. */
function runBlock(script: string, env: NodeJS.ProcessEnv): Promise<Walk> {
  return new Promise<Walk>((resolve) => {
    const bash = spawn('bash', ['-euo', 'pipefail', script], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // One string in arrival order, as a terminal would show both streams.
    let output = '';
    bash.stdout.on('data', (c) => {
      output += c;
    });
    bash.stderr.on('data', (c) => {
      output += c;
    });
    const timer = setTimeout(() => bash.kill('SIGKILL'), 180_000);
    bash.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('README walks, run as written against one started system', () => {
  let system: RunningSystem | undefined;
  let scratch: string | undefined;
  let walk: Walk;
  let recordsWalk: Walk;

  beforeAll(async () => {
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    scratch = await mkdtemp(join(tmpdir(), 'tb-readme-walk-'));
    const identityScript = join(scratch, 'identity-walk.sh');
    const recordsScript = join(scratch, 'records-walk.sh');
    await writeFile(identityScript, blockAfterMarker(readme, '<!-- readme-walk:identity -->'));
    await writeFile(recordsScript, blockAfterMarker(readme, '<!-- readme-walk:records -->'));
    system = await startSystem();
    const env = {
      ...process.env,
      IDENTITY_URL: system.urls.identity,
      RECORDS_URL: system.urls.records,
      TONGBAN_DATA_DIR: system.dataDir,
    };
    walk = await runBlock(identityScript, env);
    recordsWalk = await runBlock(recordsScript, env);
  }, 600_000);

  afterAll(async () => {
    await system?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }, 60_000);

  it('runs to the end as written against the started system', () => {
    expect(walk.code, walk.output).toBe(0);
  });

  it('verifies the QR picture offline from the trust bundle (step 3)', () => {
    expect(walk.output).toMatch(/^VALID\b/m);
  });

  it('answers the first online scan with a verification and refuses the second (step 4)', () => {
    const lines = walk.output.split('\n');
    const first = lines.findIndex((l) => l.includes('"verificationId"'));
    const second = lines.findIndex((l) => l.includes('presentation_replayed'));
    expect(first, walk.output).toBeGreaterThanOrEqual(0);
    expect(second, walk.output).toBeGreaterThan(first);
  });

  it('lists the verification at counter "window 3" in the resident history (step 5)', () => {
    const lines = walk.output.split('\n');
    const replayed = lines.findIndex((l) => l.includes('presentation_replayed'));
    expect(
      lines.slice(replayed + 1).some((l) => l.includes('window 3')),
      walk.output,
    ).toBe(true);
  });

  it('reads across departments with only the fields the policy gives (records step 1)', () => {
    expect(recordsWalk.code, recordsWalk.output).toBe(0);
    const first = recordsWalk.output.split('\n').find((l) => l.includes('"items"')) ?? '';
    const page = JSON.parse(first) as { items: { releasedFields: string[] }[] };
    expect(page.items.length, recordsWalk.output).toBeGreaterThan(0);
    expect([...(page.items[0]?.releasedFields ?? [])].sort()).toEqual([
      'address',
      'householdType',
      'registeredOn',
    ]);
  });

  it('refuses a purpose without a policy and verifies the certified copy offline (steps 2, 3)', () => {
    expect(recordsWalk.output).toContain('purpose_not_allowed');
    expect(recordsWalk.output).toMatch(/^valid record certificate: household_registration /m);
  });

  it("shows the resident the officer's reads, each checked against the signed head (step 4)", () => {
    const lines = recordsWalk.output.split('\n');
    expect(
      lines.some((l) => l.includes('social_security') && l.includes('purpose_not_allowed')),
      recordsWalk.output,
    ).toBe(true);
    expect(recordsWalk.output).toMatch(/^ACCESS LOG VERIFIED/m);
  });
});
