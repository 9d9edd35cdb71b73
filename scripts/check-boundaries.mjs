#!/usr/bin/env node
// Import boundaries that Biome's noRestrictedImports cannot express because they depend on where
// a relative path lands rather than on how it is spelt: a file in one workspace (packages/<name>,
// services/<name>) never reaches into another workspace's folder by a relative path. Imports by
// package name are checked by Biome (biome.json, overrides). See docs/adr/0006.
//
// Usage: node scripts/check-boundaries.mjs [file …]   (no files: the whole tree)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const GROUPS = ['packages', 'services'];
const SOURCE = /\.(?:[cm]?[jt]s|tsx|jsx)$/;
// Generated output: dist/ (the portal's front end) and build/ (bundles, scripts/build.mjs).
const SKIP_DIRS = new Set(['node_modules', '.data', 'dist', 'build', 'coverage']);
// Static imports and re-exports (`… from '…'`), side-effect imports, import(), require().
const SPECIFIERS = [
  /\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
  /\bimport\s*['"]([^'"]+)['"]/g,
  /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
];

/** `services/records` for any path inside it; undefined outside packages/* and services/*. */
function workspaceOf(path) {
  const parts = relative(root, path).split(sep);
  return GROUPS.includes(parts[0]) && parts.length > 2 ? `${parts[0]}/${parts[1]}` : undefined;
}

function* sourceFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP_DIRS.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(path);
    else if (SOURCE.test(entry.name)) yield path;
  }
}

function lineOf(text, index) {
  return text.slice(0, index).split('\n').length;
}

function check(file) {
  const from = workspaceOf(file);
  if (!from) return [];
  const text = readFileSync(file, 'utf8');
  const problems = [];
  for (const pattern of SPECIFIERS) {
    for (const match of text.matchAll(pattern)) {
      const specifier = match[1];
      if (!specifier.startsWith('.')) continue;
      const target = resolve(dirname(file), specifier);
      const to = workspaceOf(target);
      if (to === from) continue;
      const where = `${relative(root, file)}:${lineOf(text, match.index)}`;
      let rule;
      let message;
      if (from.startsWith('packages/') && to?.startsWith('services/')) {
        rule = 'no-service-import-in-package';
        message = `a package never imports a service ('${specifier}' is in ${to})`;
      } else if (from.startsWith('services/') && to?.startsWith('services/')) {
        rule = 'no-cross-service-import';
        message = `services never import each other ('${specifier}' is in ${to}); call it through @tongban/clients`;
      } else {
        rule = 'no-relative-import-across-workspaces';
        message = `'${specifier}' leaves ${from}; import another workspace by its package name`;
      }
      problems.push(`${where} boundaries/${rule}: ${message}`);
    }
  }
  return problems;
}

const args = process.argv.slice(2);
const files = args.length
  ? args.map((f) => resolve(f))
  : GROUPS.flatMap((group) =>
      readdirSync(join(root, group))
        .map((name) => join(root, group, name))
        .filter((dir) => statSync(dir).isDirectory())
        .flatMap((dir) => [...sourceFiles(dir)]),
    );
const problems = files.flatMap(check);
if (problems.length > 0) {
  process.stderr.write(
    `${problems.join('\n')}\n${problems.length} import boundary violation(s).\n`,
  );
  process.exit(1);
}
process.stdout.write(`Import boundaries hold (${files.length} files checked).\n`);
