/** What every file in test/bench (other than run.ts) exports as `bench`. */
export interface Bench {
  /** The file's name without `.ts`: `npm run bench -- <name>` runs only this one. */
  readonly name: string;
  readonly summary: string;
  /** Upper bound of one run, setup and cleanup included; the runner aborts a run that exceeds it. */
  readonly timeoutMs: number;
  /** Runs only when `npm run bench -- <name>` names it (a bench that takes most of an hour). */
  readonly onlyWhenNamed?: boolean;
  /** Prints its own table. Throws when the bench itself broke (not when a number is low). */
  run(): Promise<void>;
}

type Cleanup = () => Promise<void>;
const cleanups = new Set<Cleanup>();

/**
 * Registers a teardown (kill a process, drop a database) so that the runner can still run it
 * when a bench times out or the operator presses Ctrl-C. The returned function runs it once and
 * unregisters it; the bench calls that on its normal path.
 */
export function onCleanup(cleanup: Cleanup): () => Promise<void> {
  let done: Promise<void> | undefined;
  const once: Cleanup = () => {
    cleanups.delete(once);
    done ??= cleanup();
    return done;
  };
  cleanups.add(once);
  return once;
}

/** Runs every pending teardown, newest first, each bounded in time; never throws. */
export async function runCleanups(timeoutMs = 20_000): Promise<void> {
  for (const cleanup of [...cleanups].reverse()) {
    await Promise.race([cleanup(), sleep(timeoutMs)]).catch((err: unknown) => {
      process.stderr.write(`bench cleanup failed: ${String(err)}\n`);
    });
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A positive integer from the environment, or the default; anything else stops the bench. */
export function intFromEnv(name: string, fallback: number): number {
  const text = process.env[name]?.trim();
  if (!text) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new Error(`${name} must be a positive integer, got "${text}"`);
  }
  return value;
}
