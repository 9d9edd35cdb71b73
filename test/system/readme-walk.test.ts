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
  let workflowWalk: Walk;

  beforeAll(async () => {
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    scratch = await mkdtemp(join(tmpdir(), 'tb-readme-walk-'));
    const identityScript = join(scratch, 'identity-walk.sh');
    const recordsScript = join(scratch, 'records-walk.sh');
    const workflowScript = join(scratch, 'workflow-walk.sh');
    await writeFile(identityScript, blockAfterMarker(readme, '<!-- readme-walk:identity -->'));
    await writeFile(recordsScript, blockAfterMarker(readme, '<!-- readme-walk:records -->'));
    await writeFile(workflowScript, blockAfterMarker(readme, '<!-- readme-walk:workflow -->'));
    system = await startSystem();
    const env = {
      ...process.env,
      IDENTITY_URL: system.urls.identity,
      RECORDS_URL: system.urls.records,
      WORKFLOW_URL: system.urls.workflow,
      TONGBAN_DATA_DIR: system.dataDir,
    };
    walk = await runBlock(identityScript, env);
    recordsWalk = await runBlock(recordsScript, env);
    workflowWalk = await runBlock(workflowScript, env);
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

  describe('the workflow walk', () => {
    const lines = () => workflowWalk.output.split('\n');
    /** The decision lines of step 4, in order: `<case status>, version <n>: <step> <status>, …`. */
    const decisions = () => lines().filter((l) => /^\w+, version \d+: /.test(l));
    const subjectOfZhang = async () => {
      const credentials = await readFile(
        join(system?.dataDir ?? '', 'demo/credentials.txt'),
        'utf8',
      );
      const subject = /^resident 张伟 subject (\S+) /m.exec(credentials)?.[1];
      if (subject === undefined) throw new Error('no subject for 张伟 in credentials.txt');
      return subject;
    };

    it('runs to the end as written, after the other two walks', () => {
      expect(workflowWalk.code, workflowWalk.output).toBe(0);
    });

    it('reads the catalogue, takes the case with its records, and opens the three parallel steps', () => {
      expect(workflowWalk.output).toContain('开餐馆一件事 Opening a restaurant, version 1');
      expect(workflowWalk.output).toMatch(
        /final_issuance \[market_regulation\] 2 working days, after business_licence \+ fire_inspection \+ food_permit/,
      );
      expect(workflowWalk.output).toMatch(
        /^case TB\d{4}-\d{6}: in_progress, tracking code [0-9A-Z]{20}, .*, [1-9]\d* record references attached$/m,
      );
      expect(workflowWalk.output).toMatch(/^ {2}fire_inspection \[fire_safety\] open, due /m);
      expect(workflowWalk.output).toMatch(/^ {2}final_issuance \[market_regulation\] waiting/m);
      expect(workflowWalk.output).toMatch(/^fire_safety queue: TB\d{4}-\d{6} fire_inspection/m);
    });

    it('opens the final step once, after the third approval, refuses an old ETag and approves the case', () => {
      const seen = decisions();
      expect(seen, workflowWalk.output).toHaveLength(4);
      expect(seen.slice(0, 2).every((l) => l.includes('final_issuance waiting'))).toBe(true);
      expect(seen[2]).toMatch(/^in_progress, .*final_issuance open$/);
      expect(seen[3]).toMatch(
        /^approved, version \d+: business_licence approved, fire_inspection approved, food_permit approved, final_issuance approved$/,
      );
      const conflict = lines().indexOf('version_conflict');
      expect(conflict, workflowWalk.output).toBeGreaterThan(lines().indexOf(seen[2] as string));
      expect(conflict).toBeLessThan(lines().indexOf(seen[3] as string));
      // The resident's timeline says issuance started exactly once.
      expect(
        lines().filter((l) =>
          l.includes('统一发证：开始办理 / Issuance of all documents: started'),
        ),
        workflowWalk.output,
      ).toHaveLength(1);
    });

    it('shows every stage on the public tracking page and nothing personal', async () => {
      const line = lines().find((l) => l.startsWith('{') && l.includes('"stages"'));
      expect(line, workflowWalk.output).toBeDefined();
      const tracking = JSON.parse(line as string) as {
        status: string;
        stages: { department: string; status: string }[];
      };
      expect(tracking.status).toBe('approved');
      expect(tracking.stages.map((s) => [s.department, s.status])).toEqual([
        ['market_regulation', 'approved'],
        ['fire_safety', 'approved'],
        ['market_regulation', 'approved'],
        ['market_regulation', 'approved'],
      ]);
      for (const personal of [
        '张伟',
        await subjectOfZhang(),
        '"subjectId"',
        '"form"',
        '老街面馆',
        '青云路',
        'legalRepresentative',
        '"reason"',
        '现场检查合格',
      ]) {
        expect(line).not.toContain(personal);
      }
    });

    it('saves the receipt as an SVG without personal data', async () => {
      expect(workflowWalk.output).toMatch(/^receipt: 200 image\/svg\+xml/m);
      const svg = await readFile(join(system?.dataDir ?? '', 'receipt.svg'), 'utf8');
      expect(svg.startsWith('<?xml')).toBe(true);
      expect(svg).toMatch(/<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      expect(svg).toContain('Opening a restaurant');
      for (const personal of ['张伟', await subjectOfZhang(), '老街面馆']) {
        expect(svg).not.toContain(personal);
      }
    });

    it("shows the case and its timeline on the resident's phone", () => {
      const at = lines().findIndex((l) => l.startsWith('times are Asia/Shanghai'));
      expect(at, workflowWalk.output).toBeGreaterThanOrEqual(0);
      const phone = lines().slice(at).join('\n');
      expect(phone).toMatch(/^TB\d{4}-\d{6} {2}开餐馆一件事 Opening a restaurant$/m);
      expect(phone).toContain('已办结：准予办理 approved');
      expect(phone).toMatch(/公众聚集场所消防安全检查 .* \[fire_safety\]: 已通过 approved/);
      expect(phone).toContain('申请已提交 / Application submitted');
      expect(phone).toContain('Fire-safety inspection of the premises: approved — 现场检查合格');
      expect(phone).toContain('办结：准予办理 / Completed: approved');
    });
  });
});
