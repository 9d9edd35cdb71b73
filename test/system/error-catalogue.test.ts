import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { catalogues } from '../../scripts/error-catalogues.js';
import { ERRORS_DOC_PATH, renderErrorsDoc } from '../../scripts/generate-errors-doc.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * `code: '…'` members that are not error codes, or error codes that never travel over HTTP.
 * Each entry is a reviewed decision; anything else a scan finds must be in a catalogue.
 */
const NOT_HTTP_ERRORS: Readonly<Record<string, string>> = {
  administration: "the administrators' department code, not an error",
  service_centre: "the service centre's department code, not an error",
  status_unknown: 'an offline verifier verdict: no usable status list covers the credential',
  status_list_expired: 'an offline verifier verdict on a cached status list',
  status_list_not_yet_valid: 'an offline verifier verdict on a cached status list',
  certificate_expired: 'an offline verifier verdict on a record certificate',
  certificate_not_yet_valid: 'an offline verifier verdict on a record certificate',
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : [];
  });
}

interface Use {
  readonly file: string;
  readonly code: string;
}

/** Every string that names an error code: thrown, listed on a route, or put in a problem. */
function codesUsedIn(file: string): Use[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  const patterns = [
    /\bproblem\(\s*'([a-z0-9_]+)'/g, // problem('code', …)
    /\bcode: '([a-z0-9_]+)'/g, // { code: 'code' }
    /urn:tongban:problem:([a-z0-9_]+)/g,
  ];
  for (const pattern of patterns) {
    for (const match of text.matchAll(pattern)) if (match[1]) found.push(match[1]);
  }
  // Codes a route lists in `config.errors` (or a shared config object's `errors`).
  for (const list of text.matchAll(/\berrors: \[([^\]]*)\]/g)) {
    for (const item of (list[1] ?? '').matchAll(/'([a-z0-9_]+)'/g)) {
      if (item[1]) found.push(item[1]);
    }
  }
  // Members of a `…Code` union type (the token package's codes).
  for (const union of text.matchAll(/type \w*Code =([^;]+);/g)) {
    for (const item of (union[1] ?? '').matchAll(/'([a-z0-9_]+)'/g)) {
      if (item[1]) found.push(item[1]);
    }
  }
  return found.map((code) => ({ file: relative(root, file), code }));
}

const byOwner = new Map(catalogues.map((c) => [c.owner, c]));
const everyCode = new Set(catalogues.flatMap((c) => Object.keys(c.entries)));

describe('error catalogue', () => {
  it('docs/errors.md is what `pnpm errors:doc` writes', () => {
    // Regenerate with `pnpm errors:doc` when this fails.
    expect(readFileSync(ERRORS_DOC_PATH, 'utf8')).toBe(renderErrorsDoc());
  });

  it('has one status per code across all catalogues', () => {
    const seen = new Map<string, number>();
    for (const catalogue of catalogues) {
      for (const [code, { status }] of Object.entries(catalogue.entries)) {
        expect(seen.get(code) ?? status, `${code} in ${catalogue.owner}`).toBe(status);
        seen.set(code, status);
      }
    }
  });

  it('declares every error code used in the source of services and packages', () => {
    const missing: string[] = [];
    let scanned = 0;
    for (const group of ['services', 'packages']) {
      for (const name of readdirSync(join(root, group))) {
        const src = join(root, group, name, 'src');
        if (!statSync(src, { throwIfNoEntry: false })?.isDirectory()) continue;
        // A service's code must be in its own catalogue; a package's in the shared or any.
        const catalogue = group === 'services' ? byOwner.get(name) : undefined;
        if (group === 'services' && catalogue === undefined) {
          missing.push(`${group}/${name}: no catalogue registered in scripts/error-catalogues.ts`);
          continue;
        }
        for (const file of sourceFiles(src)) {
          if (file.endsWith('/errors.ts')) continue; // where codes are declared
          for (const use of codesUsedIn(file)) {
            scanned++;
            if (use.code in NOT_HTTP_ERRORS) continue;
            const known = catalogue ? catalogue.has(use.code) : everyCode.has(use.code);
            if (!known) missing.push(`${use.file}: ${use.code}`);
          }
        }
      }
    }
    expect(missing).toEqual([]);
    // The scan must actually see the codes it is meant to check.
    expect(scanned).toBeGreaterThan(40);
  });

  it('builds errors only through a catalogue, never from a hand-made status and code', () => {
    const adHoc: string[] = [];
    for (const group of ['services', 'packages']) {
      for (const name of readdirSync(join(root, group))) {
        const src = join(root, group, name, 'src');
        if (!statSync(src, { throwIfNoEntry: false })?.isDirectory()) continue;
        for (const file of sourceFiles(src)) {
          if (file.endsWith(join('service-kit', 'src', 'errors.ts'))) continue;
          if (/new ApiError\(/.test(readFileSync(file, 'utf8'))) adHoc.push(relative(root, file));
        }
      }
    }
    expect(adHoc).toEqual([]);
  });
});
