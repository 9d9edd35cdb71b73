import type { FastifyBaseLogger } from 'fastify';

export interface JobContext {
  /** The service's clock at the start of this run. */
  readonly now: Date;
  /** Aborted when the service closes; a long run should stop at the next safe point. */
  readonly signal: AbortSignal;
}

export interface JobDefinition {
  /** Unique per service; the `job` label in metrics and logs. */
  readonly name: string;
  readonly intervalMs: number;
  /**
   * Each wait is `intervalMs` plus up to this fraction of it, drawn afresh every time, so replicas
   * started together drift apart instead of hitting the database in step. Default 0.1.
   */
  readonly jitter?: number;
  /**
   * The work. It runs in every replica of the service, possibly at the same moment, so it must be
   * safe concurrently: claim rows with `FOR UPDATE SKIP LOCKED` or take an advisory lock.
   */
  readonly run: (context: JobContext) => Promise<unknown>;
}

export type JobOutcome = 'success' | 'failure';

export type JobRun =
  | { readonly outcome: 'success'; readonly value: unknown }
  | { readonly outcome: 'failure'; readonly error: unknown };

/** Told about every finished run; metrics count them. */
export interface JobObserver {
  registered?(name: string): void;
  finished?(name: string, outcome: JobOutcome, at: Date): void;
}

interface Job {
  readonly definition: JobDefinition;
  timer: NodeJS.Timeout | undefined;
  running: Promise<JobRun> | undefined;
}

/**
 * Background work on an interval, in-process. A job never overlaps itself within one process: a
 * tick that finds the previous run still going is skipped. A run that throws is logged and
 * counted; it never reaches the process. `stop()` (on app close) clears the timers, aborts the
 * signal and waits for running jobs, so nothing touches the database after it closes.
 *
 * Why not pg-boss or graphile-worker: both need Node ≥ 22 and a server PostgreSQL, while Tongban
 * runs on Node 20 and on embedded PostgreSQL too. Jobs here are sweeps over the service's own
 * tables, where SKIP LOCKED or an advisory lock is all the coordination replicas need.
 */
export class JobRegistry {
  private readonly jobs = new Map<string, Job>();
  private readonly abort = new AbortController();
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly options: {
      readonly clock: () => Date;
      readonly log: FastifyBaseLogger;
      readonly observer?: JobObserver;
      /** Replaceable in tests; returns a number in [0, 1). */
      readonly random?: () => number;
    },
  ) {}

  register(definition: JobDefinition): void {
    const { name, intervalMs } = definition;
    const jitter = definition.jitter ?? 0.1;
    if (this.jobs.has(name)) throw new Error(`job ${name} is already registered`);
    if (this.stopping) throw new Error(`job ${name} registered after the service closed`);
    if (!Number.isFinite(intervalMs) || intervalMs <= 0) {
      throw new Error(`job ${name}: intervalMs must be a positive number`);
    }
    if (!(jitter >= 0 && jitter <= 1)) throw new Error(`job ${name}: jitter must be in [0, 1]`);
    const job: Job = {
      definition: { ...definition, jitter },
      timer: undefined,
      running: undefined,
    };
    this.jobs.set(name, job);
    this.options.observer?.registered?.(name);
    this.schedule(job);
  }

  /** Names of the registered jobs, in registration order. */
  names(): string[] {
    return [...this.jobs.keys()];
  }

  /**
   * Runs a job now, outside its schedule, and returns how it went (it does not throw). If the job
   * is running, this waits for that run to end first, so runs still never overlap.
   */
  async runNow(name: string): Promise<JobRun> {
    const job = this.jobs.get(name);
    if (!job) throw new Error(`no job named ${name}`);
    while (job.running) await job.running;
    if (this.stopping) throw new Error(`job ${name}: the service is closing`);
    return this.execute(job);
  }

  /** Idempotent. Clears timers, aborts the signal and waits for the runs in progress to end. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const job of this.jobs.values()) clearTimeout(job.timer);
      this.abort.abort(new Error('service closing'));
      await Promise.all([...this.jobs.values()].map((job) => job.running));
    })();
    return this.stopping;
  }

  private schedule(job: Job): void {
    if (this.stopping) return;
    const { intervalMs, jitter = 0 } = job.definition;
    const random = this.options.random ?? Math.random;
    job.timer = setTimeout(
      () => {
        // A run still going from runNow: skip this tick rather than queue behind it.
        const run = job.running ? undefined : this.execute(job);
        void (run ?? Promise.resolve()).then(() => this.schedule(job));
      },
      intervalMs + jitter * intervalMs * random(),
    );
    // A pending job must not keep a closing process alive.
    job.timer.unref();
  }

  private execute(job: Job): Promise<JobRun> {
    const { name, run } = job.definition;
    const { clock, log, observer } = this.options;
    const attempt = (async (): Promise<JobRun> => {
      try {
        const value = await run({ now: clock(), signal: this.abort.signal });
        observer?.finished?.(name, 'success', clock());
        return { outcome: 'success', value };
      } catch (error) {
        log.error({ err: error, job: name }, 'background job failed');
        observer?.finished?.(name, 'failure', clock());
        return { outcome: 'failure', error };
      }
    })();
    job.running = attempt;
    void attempt.then(() => {
      if (job.running === attempt) job.running = undefined;
    });
    return attempt;
  }
}
