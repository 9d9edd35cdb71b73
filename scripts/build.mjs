// Bundles each service (services/<name>/src/server.ts → services/<name>/build/server.js) and the
// launcher (scripts/start.ts → build/start.js) into plain JavaScript, so that `npm start` and the
// image run node on built files instead of transpiling TypeScript at every start. Plain Node: the
// root entry point (scripts/tongban.mjs) imports it before anything else runs, and esbuild is only
// loaded when something is actually built.
//
// The command-line tools (phone, tokens, access-log audit) are bundled into build/ the same way.
//
//   node scripts/build.mjs              builds everything and records the inputs' hash
//   node scripts/build.mjs --services   the services' bundles only (the image)
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { basename, dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repositoryRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
export const SERVICES = ['identity', 'workflow', 'records', 'portal'];

/** What is built: one entry, one output file each. */
export function bundlesOf(root = repositoryRoot) {
  return [
    ...SERVICES.map((name) => ({
      entry: join(root, 'services', name, 'src', 'server.ts'),
      // Not dist/: that is the portal's built front end. build/ sits beside src/, so the
      // services' `new URL('../…', import.meta.url)` (the portal's dist, workflow's catalogue)
      // point at the same folders from the bundle as from the source.
      outFile: join(root, 'services', name, 'build', 'server.js'),
    })),
    // At the root's depth + 1 like scripts/, so the launcher's `new URL('..', import.meta.url)`
    // is still the repository.
    { entry: join(root, 'scripts', 'start.ts'), outFile: join(root, 'build', 'start.js') },
    // The command-line tools behind `npm run phone|tokens|access-log:audit`, so each call starts
    // in a fraction of a second instead of transpiling its sources first.
    ...Object.entries(CLIS).map(([name, entry]) => ({
      entry: join(root, entry),
      outFile: cliBundleOf(name, root),
    })),
  ];
}

/** The command-line tools that are built too: bundle name → entry point. */
export const CLIS = {
  phone: 'packages/phone/src/cli.ts',
  tokens: 'packages/tokens/src/cli.ts',
  'access-log-audit': 'services/records/src/audit-cli.ts',
};

/** The built file of a command-line tool in CLIS. */
export const cliBundleOf = (name, root = repositoryRoot) => join(root, 'build', `${name}.js`);

/**
 * What each bundle was last built from (build/inputs.json): the hash of the shared inputs, and per
 * bundle the workspace files esbuild read for it with the hash of their contents.
 */
export const stampFileOf = (root = repositoryRoot) => join(root, 'build', 'inputs.json');

/**
 * Inputs every bundle depends on without esbuild reporting them as read: the manifests and
 * lockfile (which decide what resolves where), the compiler settings, and this script. A change
 * to any of them rebuilds everything.
 */
export function sharedInputs(root = repositoryRoot) {
  const files = [
    'package.json',
    'pnpm-lock.yaml',
    ...readdirSync(root).filter((name) => /^tsconfig.*\.json$/.test(name)),
    'scripts/build.mjs',
  ];
  for (const group of ['services', 'packages']) {
    for (const name of readdirSync(join(root, group)).sort()) {
      files.push(join(group, name, 'package.json'));
      for (const file of readdirSync(join(root, group, name))) {
        if (/^tsconfig.*\.json$/.test(file)) files.push(join(group, name, file));
      }
    }
  }
  return [...new Set(files)].sort();
}

/**
 * A hash of files' names and contents (paths relative to root). `contents` holds files' bytes
 * already read (then those bytes count) and keeps the ones read here for the next call.
 */
function hashOf(root, files, contents = new Map()) {
  const hash = createHash('sha256');
  for (const file of [...files].sort()) {
    if (!contents.has(file)) {
      const path = join(root, file);
      contents.set(file, existsSync(path) ? readFileSync(path) : undefined);
    }
    hash.update(file).update('\0');
    hash.update(contents.get(file) ?? '\0missing').update('\0');
  }
  return hash.digest('hex');
}

/** A bundle's key in the stamp: its path relative to root, with forward slashes. */
const keyOf = (root, path) => relative(root, path).split(sep).join('/');

function readStamp(root) {
  try {
    const stamp = JSON.parse(readFileSync(stampFileOf(root), 'utf8'));
    return typeof stamp?.shared === 'string' && typeof stamp?.bundles === 'object' ? stamp : null;
  } catch {
    return null;
  }
}

/**
 * The bundles to build: all of them when the shared inputs changed (or nothing was built yet);
 * otherwise each one whose file is missing or one of whose own inputs changed. Reads and hashes
 * a few hundred files: milliseconds.
 */
export function staleBundles(root = repositoryRoot) {
  const all = bundlesOf(root);
  const stamp = readStamp(root);
  if (!stamp || stamp.shared !== hashOf(root, sharedInputs(root))) return all;
  const read = new Map();
  return all.filter((b) => {
    const entry = stamp.bundles[keyOf(root, b.outFile)];
    return (
      !existsSync(b.outFile) ||
      !entry ||
      !Array.isArray(entry.inputs) ||
      entry.hash !== hashOf(root, entry.inputs, read)
    );
  });
}

const BUILTINS = new Set(builtinModules);

/**
 * Packages that must stay files of their own because they find things beside themselves at run
 * time: the embedded engine's WebAssembly and data files, a native addon, and the API docs page's
 * static assets. (The logger is bundled: its worker threads only run for log transports, which
 * Tongban does not configure; it writes JSON to stdout.)
 */
const KEEP_EXTERNAL = new Set(['@electric-sql/pglite', '@resvg/resvg-js', '@fastify/swagger-ui']);

/** Entry points kept outside for the same reason: drizzle's driver for the embedded engine. */
const KEEP_EXTERNAL_ENTRIES = new Set(['drizzle-orm/pglite']);

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`. */
function packageNameOf(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

/**
 * Workspace packages (@tongban/*, whose exports are TypeScript) and npm packages are bundled, so
 * a service starts by compiling one file instead of resolving and reading some two thousand
 * modules (about half of each service's start-up CPU). The few in KEEP_EXTERNAL stay outside.
 * With pnpm a package is only reachable from the folders of the workspaces that declare it
 * (pglite from packages/db, not from services/identity/build), so each external import is
 * resolved here, from the file that imports it, and written as a path relative to the output
 * file (into node_modules/.pnpm). The bundle then runs from any working directory, with no
 * loader hooks, in the repository and in the image alike (same layout under /app). An optional
 * dependency that is not installed (pg-native) stays a bare import that is never reached.
 */
function externalsRelativeTo(outDir) {
  return {
    name: 'tongban-externals',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData?.resolvingExternal) return undefined;
        const bare = args.path.startsWith('node:') ? args.path.slice(5) : args.path;
        if (BUILTINS.has(bare) || BUILTINS.has(bare.split('/')[0])) {
          return { path: args.path, external: true };
        }
        if (args.path.startsWith('@tongban/')) return undefined;
        const resolved = await build.resolve(args.path, {
          kind: args.kind,
          importer: args.importer,
          resolveDir: args.resolveDir,
          pluginData: { resolvingExternal: true },
        });
        if (!KEEP_EXTERNAL.has(packageNameOf(bare)) && !KEEP_EXTERNAL_ENTRIES.has(bare)) {
          return resolved.errors.length === 0 ? undefined : { path: args.path, external: true };
        }
        if (resolved.errors.length > 0) return { errors: resolved.errors };
        const path = relative(outDir, resolved.path).split(sep).join('/');
        return { path: path.startsWith('.') ? path : `./${path}`, external: true };
      });
    },
  };
}

async function bundle(esbuild, root, { entry, outFile }) {
  const outDir = dirname(outFile);
  const result = await esbuild.build({
    absWorkingDir: root,
    metafile: true,
    entryPoints: [entry],
    outfile: outFile,
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    // Bundled CommonJS packages call require(); an ES module has none of its own.
    banner: {
      js: "import { createRequire as __tongbanRequire } from 'node:module'; const require = __tongbanRequire(import.meta.url);",
    },
    // Errors and plugins are told apart by their names in places (fastify-plugin, logs); bundling
    // would otherwise rename a class whose name another module also uses.
    keepNames: true,
    // Resolve npm packages as Node does at run time: the "import"/"node"/"default" conditions and
    // "main", not esbuild's extra "module" condition and field, so the file the bundle names is
    // the one `import 'pkg'` would have loaded.
    conditions: [],
    mainFields: ['main'],
    logLevel: 'silent',
    plugins: [externalsRelativeTo(outDir)],
  });
  // The repository's own files esbuild read (paths relative to root); npm packages are pinned
  // by the lockfile, a shared input.
  const inputs = Object.keys(result.metafile.inputs).filter(
    (file) => !file.includes('node_modules/') && existsSync(join(root, file)),
  );
  return { files: result.outputFiles, inputs };
}

/**
 * Writes each output into a temporary folder beside it, then renames it over the old file, so a
 * process starting at that moment reads the old bundle or the new one, never half of one. Two
 * builds at once write the same files.
 */
async function writeBundles(root, bundles) {
  const esbuild = await import('esbuild');
  // esbuild's service process would otherwise live on beside the launcher (about 200 MiB).
  const outputs = await Promise.all(bundles.map((b) => bundle(esbuild, root, b))).finally(() =>
    esbuild.stop(),
  );
  for (const [i, { files }] of outputs.entries()) {
    const outDir = dirname(bundles[i].outFile);
    await mkdir(outDir, { recursive: true });
    const staging = await mkdtemp(join(outDir, '.staging-'));
    try {
      for (const file of files) await writeFile(join(staging, basename(file.path)), file.contents);
      for (const file of files) await rename(join(staging, basename(file.path)), file.path);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }
  return outputs.map((o) => o.inputs);
}

/**
 * Builds the given bundles (all by default), then records what each was built from, hashed as
 * the files were before the build started: an interrupted build records nothing, and a source
 * changed during the build is built the next time.
 */
export async function buildBundles(root = repositoryRoot, bundles = bundlesOf(root)) {
  const before = new Map();
  const folders = ['scripts'];
  for (const group of ['services', 'packages']) {
    for (const name of readdirSync(join(root, group))) folders.push(join(group, name, 'src'));
  }
  for (const dir of folders.filter((d) => existsSync(join(root, d)))) {
    for (const name of readdirSync(join(root, dir), { recursive: true })) {
      const file = join(dir, String(name));
      if (/\.(ts|json|mjs|js)$/.test(file)) before.set(file, readFileSync(join(root, file)));
    }
  }
  const shared = hashOf(root, sharedInputs(root));
  const inputsOf = await writeBundles(root, bundles);
  const previous = readStamp(root);
  const stamp = {
    shared,
    bundles: previous?.shared === shared ? { ...previous.bundles } : {},
  };
  for (const [i, b] of bundles.entries()) {
    const inputs = (inputsOf[i] ?? []).map((file) => file.split(sep).join('/')).sort();
    stamp.bundles[keyOf(root, b.outFile)] = {
      inputs,
      hash: hashOf(root, inputs, before),
    };
  }
  const file = stampFileOf(root);
  await mkdir(dirname(file), { recursive: true });
  const staged = `${file}.${process.pid}`;
  await writeFile(staged, `${JSON.stringify(stamp, null, 1)}\n`);
  await rename(staged, file);
}

/**
 * Builds the bundles whose inputs changed since they were last built, or that are missing;
 * otherwise it only reads and hashes the inputs (milliseconds). When it builds it writes one line
 * to `out`, naming what it built unless that is everything.
 */
export async function ensureBuild({ root = repositoryRoot, out } = {}) {
  const stale = staleBundles(root);
  if (stale.length === 0) return 'fresh';
  const started = performance.now();
  const all = stale.length === bundlesOf(root).length;
  const what = all ? 'the services' : stale.map((b) => keyOf(root, b.outFile)).join(', ');
  out?.write(`Building ${what} (once after a change) … `);
  await buildBundles(root, stale);
  out?.write(`done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  return 'built';
}

/** esbuild's errors as `file:line:column: text` lines, or the error's message. */
export function formatBuildError(err) {
  const errors = err?.errors;
  if (!Array.isArray(errors) || errors.length === 0) return String(err?.message ?? err);
  return errors
    .map((e) =>
      e.location ? `${e.location.file}:${e.location.line}:${e.location.column}: ${e.text}` : e.text,
    )
    .join('\n');
}

// `--services`: the four services only, no launcher and no stamp (the image, which has no
// launcher and never rebuilds).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const servicesOnly = process.argv.includes('--services');
  const bundles = bundlesOf().filter((b) => !servicesOnly || b.outFile.endsWith('server.js'));
  const started = performance.now();
  try {
    await (servicesOnly ? writeBundles(repositoryRoot, bundles) : buildBundles());
  } catch (err) {
    process.stderr.write(`${formatBuildError(err)}\n`);
    process.exit(1);
  }
  const ms = Math.round(performance.now() - started);
  process.stdout.write(`Built ${bundles.length} bundles in ${ms} ms\n`);
}
