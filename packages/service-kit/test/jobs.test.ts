import { describe, expect, it } from 'vitest';
import { JobRegistry } from '../src/index.js';
import { buildKitApp, logSink } from './helpers.js';

const T0 = new Date('2030-03-01T08:00:00.000Z');

/** A promise the test settles by hand, so nothing depends on how fast the machine is. */
function gate<T = void>() {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

function silentRegistry(random?: () => number) {
  return new JobRegistry({
    clock: () => T0,
    log: { error() {} } as never,
    ...(random ? { random } : {}),
  });
}

describe('JobRegistry', () => {
  it('hands a run the service clock and returns its value', async () => {
    const jobs = silentRegistry();
    const seen: Date[] = [];
    jobs.register({
      name: 'echo',
      intervalMs: 3_600_000,
      run: async ({ now }) => {
        seen.push(now);
        return 42;
      },
    });
    expect(await jobs.runNow('echo')).toEqual({ outcome: 'success', value: 42 });
    expect(seen).toEqual([T0]);
    await jobs.stop();
  });

  it('never overlaps a job with itself: a second runNow waits for the first run', async () => {
    const jobs = silentRegistry();
    const release = gate();
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    jobs.register({
      name: 'slow',
      intervalMs: 3_600_000,
      run: async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        runs++;
        if (runs === 1) await release.promise;
        active--;
      },
    });
    const first = jobs.runNow('slow');
    const second = jobs.runNow('slow');
    const third = jobs.runNow('slow');
    release.open();
    await Promise.all([first, second, third]);
    expect(runs).toBe(3);
    expect(maxActive).toBe(1);
    await jobs.stop();
  });

  it('logs and reports a failure without throwing, and runs again next time', async () => {
    const sink = logSink();
    const app = await buildKitApp({ logStream: sink.stream, logLevel: 'error' });
    let calls = 0;
    app.jobs.register({
      name: 'flaky',
      intervalMs: 3_600_000,
      run: async () => {
        calls++;
        if (calls === 1) throw new Error('database went away');
        return 'ok';
      },
    });
    const failed = await app.jobs.runNow('flaky');
    expect(failed.outcome).toBe('failure');
    expect(await app.jobs.runNow('flaky')).toEqual({ outcome: 'success', value: 'ok' });
    const logged = sink.lines().map((line) => JSON.parse(line));
    expect(logged).toContainEqual(
      expect.objectContaining({ job: 'flaky', msg: 'background job failed' }),
    );
    await app.close();
  });

  it('runs on its interval with jitter, in a timer that does not hold the process', async () => {
    // Jitter 0.5 with random() = 0.999 waits just under 1.5 intervals; the job still fires.
    const jobs = silentRegistry(() => 0.999);
    const ran = gate<Date>();
    jobs.register({
      name: 'tick',
      intervalMs: 20,
      jitter: 0.5,
      run: async ({ now }) => ran.open(now),
    });
    // Waits for the run itself (bounded by the test timeout), not for a guessed duration.
    expect(await ran.promise).toEqual(T0);
    await jobs.stop();
  });

  it('on close clears timers, aborts the running job and waits for it to end', async () => {
    const app = await buildKitApp();
    const started = gate();
    let finishedAfterAbort = false;
    app.jobs.register({
      name: 'long',
      intervalMs: 3_600_000,
      run: async ({ signal }) => {
        started.open();
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
        // Work after the abort still finishes before close() resolves.
        await Promise.resolve();
        finishedAfterAbort = true;
      },
    });
    const run = app.jobs.runNow('long');
    await started.promise;
    await app.close();
    expect(finishedAfterAbort).toBe(true);
    expect((await run).outcome).toBe('success');
    await expect(app.jobs.runNow('long')).rejects.toThrow(/closing/);
    expect(() =>
      app.jobs.register({ name: 'late', intervalMs: 1000, run: async () => {} }),
    ).toThrow(/after the service closed/);
  });

  it('refuses duplicate names and nonsense intervals', async () => {
    const jobs = silentRegistry();
    jobs.register({ name: 'a', intervalMs: 1000, run: async () => {} });
    expect(() => jobs.register({ name: 'a', intervalMs: 1000, run: async () => {} })).toThrow(
      /already registered/,
    );
    expect(() => jobs.register({ name: 'b', intervalMs: 0, run: async () => {} })).toThrow();
    expect(() =>
      jobs.register({ name: 'c', intervalMs: 1000, jitter: 2, run: async () => {} }),
    ).toThrow();
    await jobs.stop();
  });
});
