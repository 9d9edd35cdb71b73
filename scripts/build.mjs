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

/** Where the hash of the inputs of the last complete build is kept. */
export const stampFileOf = (root = repositoryRoot) => join(root, 'build', 'inputs.sha256');

function filesUnder(dir, keep) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true })
    .filter((name) => keep(name))
    .map((name) => join(dir, name));
}

/**
 * Every file a bundle is made from: the TypeScript of the services and packages (and their JSON),
 * the manifests and lockfile (which decide what resolves where), the compiler settings esbuild
 * reads, the launcher's own sources, and this script.
 */
export function buildInputs(root = repositoryRoot) {
  const source = (name) => /\.(ts|json)$/.test(name);
  const files = [
    'package.json',
    'pnpm-lock.yaml',
    ...readdirSync(root).filter((name) => /^tsconfig.*\.json$/.test(name)),
    'scripts/start.ts',
    'scripts/portal-web.ts',
    'scripts/build.mjs',
  ].map((name) => join(root, name));
  files.push(...filesUnder(join(root, 'scripts', 'seed'), () => true));
  for (const group of ['services', 'packages']) {
    for (const name of readdirSync(join(root, group)).sort()) {
      const workspace = join(root, group, name);
      files.push(join(workspace, 'package.json'));
      for (const file of readdirSync(workspace)) {
        if (/^tsconfig.*\.json$/.test(file)) files.push(join(workspace, file));
      }
      files.push(...filesUnder(join(workspace, 'src'), source));
    }
  }
  return [...new Set(files)].sort();
}

/** A hash of the inputs' names and contents: equal hashes, equal bundles. */
export function inputsHash(root = repositoryRoot) {
  const hash = createHash('sha256');
  for (const file of buildInputs(root)) {
    hash.update(relative(root, file)).update('\0');
    hash.update(existsSync(file) ? readFileSync(file) : '\0missing').update('\0');
  }
  return hash.digest('hex');
}

/** Whether every bundle exists and was built from the inputs as they are now. */
export function buildIsFresh(root = repositoryRoot, hash = inputsHash(root)) {
  const stamp = stampFileOf(root);
  return (
    existsSync(stamp) &&
    readFileSync(stamp, 'utf8') === hash &&
    bundlesOf(root).every((b) => existsSync(b.outFile))
  );
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

async function bundle(esbuild, { entry, outFile }) {
  const outDir = dirname(outFile);
  const result = await esbuild.build({
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
  return result.outputFiles;
}

/**
 * Writes each output into a temporary folder beside it, then renames it over the old file, so a
 * process starting at that moment reads the old bundle or the new one, never half of one. Two
 * builds at once write the same files.
 */
async function writeBundles(bundles) {
  const esbuild = await import('esbuild');
  // esbuild's service process would otherwise live on beside the launcher (about 200 MiB).
  const outputs = await Promise.all(bundles.map((b) => bundle(esbuild, b))).finally(() =>
    esbuild.stop(),
  );
  for (const [i, files] of outputs.entries()) {
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
}

/**
 * Builds every bundle, then records the hash of the inputs as they were before it started: an
 * interrupted build leaves no stamp that calls it complete, and a source changed during the build
 * is built the next time.
 */
export async function buildAll(root = repositoryRoot) {
  const hash = inputsHash(root);
  await writeBundles(bundlesOf(root));
  const stamp = stampFileOf(root);
  const staged = `${stamp}.${process.pid}`;
  await writeFile(staged, hash);
  await rename(staged, stamp);
}

/**
 * Builds when an input changed since the last build, or a bundle is missing; otherwise it only
 * reads and hashes the inputs (milliseconds). When it builds it writes one line to `out`.
 */
export async function ensureBuild({ root = repositoryRoot, out } = {}) {
  const hash = inputsHash(root);
  if (buildIsFresh(root, hash)) return 'fresh';
  const started = performance.now();
  out?.write('Building the services (once after a change) … ');
  await buildAll(root);
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
    await (servicesOnly ? writeBundles(bundles) : buildAll());
  } catch (err) {
    process.stderr.write(`${formatBuildError(err)}\n`);
    process.exit(1);
  }
  const ms = Math.round(performance.now() - started);
  process.stdout.write(`Built ${bundles.length} bundles in ${ms} ms\n`);
}
