// Types for scripts/build.mjs, which stays plain JavaScript because scripts/tongban.mjs imports
// it before any dependency (or TypeScript loader) is installed.

export declare const SERVICES: readonly ['identity', 'workflow', 'records', 'portal'];

export interface Bundle {
  /** The TypeScript entry point. */
  readonly entry: string;
  /** The bundle it is built into (its source map beside it). */
  readonly outFile: string;
}

export declare function bundlesOf(root?: string): Bundle[];
/** The command-line tools that are built too: bundle name → entry point. */
export declare const CLIS: {
  readonly phone: string;
  readonly tokens: string;
  readonly 'access-log-audit': string;
};
/** build/<name>.js: the built file of a command-line tool in CLIS. */
export declare function cliBundleOf(name: keyof typeof CLIS, root?: string): string;
export declare function stampFileOf(root?: string): string;
export declare function sharedInputs(root?: string): string[];
export declare function staleBundles(root?: string): Bundle[];
export declare function buildBundles(root?: string, bundles?: readonly Bundle[]): Promise<void>;
export declare function ensureBuild(options?: {
  root?: string;
  out?: { write(text: string): unknown };
}): Promise<'fresh' | 'built'>;
export declare function formatBuildError(err: unknown): string;
