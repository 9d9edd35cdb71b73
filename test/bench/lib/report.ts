import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { dirname } from 'node:path';

export interface MachineInfo {
  readonly cores: number;
  readonly cpu: string;
  readonly memoryGiB: number;
  readonly node: string;
  readonly platform: string;
  /** libuv's pool, where WebCrypto runs Ed25519 verifications. */
  readonly uvThreadpoolSize: string;
  readonly loadAverage1m: number;
  readonly commit: string;
}

export function machineInfo(): MachineInfo {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    // Not a checkout: the results still stand on their own.
  }
  return {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE ?? '4 (default)',
    loadAverage1m: Math.round((loadavg()[0] ?? 0) * 100) / 100,
    commit,
  };
}

/** Rows of [label, value, note]; a row of one empty string is a rule. */
export type Row = readonly [string, string, string?] | readonly [''];

/** A plain-text table whose columns line up in any terminal and in a CI log. */
export function formatTable(title: string, rows: readonly Row[]): string {
  const labelWidth = Math.max(...rows.map((r) => r[0].length));
  const valueWidth = Math.max(...rows.map((r) => (r[1] ?? '').length));
  const lines = rows.map((r) => {
    if (r.length === 1) return '-'.repeat(labelWidth + valueWidth + 4);
    const [label, value, note] = r;
    return `${label.padEnd(labelWidth)}  ${value.padStart(valueWidth)}${note ? `  ${note}` : ''}`;
  });
  const width = Math.max(title.length, ...lines.map((l) => l.length));
  return [title, '='.repeat(width), ...lines, ''].join('\n');
}

export const fmt = {
  int: (n: number) => Math.round(n).toLocaleString('en-US'),
  ms: (n: number) => `${n.toFixed(n < 10 ? 2 : 1)} ms`,
  pct: (n: number) => `${(n * 100).toFixed(1)} %`,
  s: (ms: number) => `${(ms / 1000).toFixed(1)} s`,
};

export async function writeJson(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * A plain-text table with a header row and any number of columns: the first column is aligned
 * left, the others right unless `left` names them. A row with no cells is a rule.
 */
export function formatColumns(
  title: string,
  header: readonly string[],
  rows: readonly (readonly string[])[],
  left: readonly number[] = [0],
): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) =>
    widths
      .map((w, i) => (left.includes(i) ? (r[i] ?? '').padEnd(w) : (r[i] ?? '').padStart(w)))
      .join('  ')
      .trimEnd();
  const rule = '-'.repeat(widths.reduce((a, w) => a + w + 2, -2));
  const lines = [line(header), rule, ...rows.map((r) => (r.length === 0 ? rule : line(r)))];
  return [title, '='.repeat(Math.max(title.length, rule.length)), ...lines, ''].join('\n');
}

/** The middle value (the mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? Number.NaN)
    : ((sorted[mid - 1] ?? Number.NaN) + (sorted[mid] ?? Number.NaN)) / 2;
}
