import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { run, type Runner, type Task } from 'graphile-worker';
import type { Engine } from '../engine/engine.ts';
import { now } from '../engine/clock.ts';
import { sweepDeadWorkers } from './dead-workers.ts';
import { JobQueue, queueLogger, taskFor, type PayloadOfRun } from './job-queue.ts';
import { runAttempt, type AttemptOutcome } from './run-attempt.ts';

export interface WorkerOptions {
  /** An engine on PostgreSQL, started with `worker: workerName()` and the same `leaseMs`. */
  engine: Engine;
  url: string;
  concurrency: number;
  queues: string[];
  /** How long a dead worker goes unnoticed (its heartbeats stop). */
  leaseMs: number;
  /** On stop, how long running steps may take to finish before they are handed back. */
  graceMs: number;
  /** Hears of each attempt's end (the CLI prints a line). */
  onAttempt?: ((key: string, outcome: AttemptOutcome) => void) | undefined;
}

export interface RunningWorker {
  id: string;
  /** Stops taking runs; steps running get `graceMs` to finish, then are handed back. */
  stop(): Promise<void>;
  /** Settles when the worker has stopped (by `stop`, or because the queue failed). */
  done: Promise<void>;
}

/** A worker's name as the history shows it: host, pid and a few random characters (pids repeat). */
export function workerName(): string {
  return `${hostname()}:${process.pid}:${randomBytes(2).toString('hex')}`;
}

/**
 * `railbook worker`: takes queued runs from graphile-worker and runs them with the engine, up to
 * `concurrency` at once; beats in the `workers` table and sweeps for dead workers on every beat.
 */
export async function startWorker(o: WorkerOptions): Promise<RunningWorker> {
  const { engine } = o;
  const store = engine.store;
  const id = engine.worker;
  const queue = await JobQueue.open(o.url);
  await store.workers.register(id, id, o.queues, now());
  const stopping = new AbortController();
  const task: Task = async (payload, helpers) => {
    const key = (payload as PayloadOfRun | null)?.key;
    if (typeof key !== 'string') return;
    const outcome = await runAttempt(engine, queue, key, { worker: id, jobId: `${helpers.job.id}|${helpers.job.locked_by ?? ''}`, stopping: stopping.signal });
    o.onAttempt?.(key, outcome);
  };
  let runner: Runner;
  try {
    runner = await run({
      connectionString: o.url,
      concurrency: o.concurrency,
      noHandleSignals: true,
      pollInterval: 1000,
      logger: queueLogger,
      maxPoolSize: o.concurrency + 2,
      taskList: Object.fromEntries(o.queues.map((q) => [taskFor(q), task])),
    });
  } catch (e) {
    await queue.release();
    throw e;
  }
  let sweeping = false;
  const beat = async () => {
    if (sweeping) return;
    sweeping = true;
    try {
      await store.workers.beat(id);
      await sweepDeadWorkers(engine, queue, o.leaseMs);
    } catch (e) {
      process.stderr.write(`railbook: worker heartbeat failed: ${(e as Error).message}\n`);
    } finally {
      sweeping = false;
    }
  };
  const timer = setInterval(() => void beat(), Math.max(50, Math.floor(o.leaseMs / 3)));
  void beat();

  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= (async () => {
    stopping.abort();
    let grace: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'grace'>((r) => { grace = setTimeout(() => r('grace'), o.graceMs); });
    const finished = runner.stop().then(() => 'stopped' as const);
    if ((await Promise.race([finished, graceOver])) === 'grace') {
      // Steps still running are recorded interrupted; their runs go back to the queue (runAttempt).
      await engine.shutdown();
      await finished;
    }
    clearTimeout(grace);
    clearInterval(timer);
    await store.workers.stopped(id, now()).catch(() => {});
    await queue.release();
  })());
  const done = runner.promise.then(() => stop(), async (e) => { await stop(); throw e; });
  return { id, stop, done };
}
