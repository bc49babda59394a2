import type { Engine } from '../engine/engine.ts';
import { EngineError } from '../engine/errors.ts';
import { checkJob, type JobFile } from '../engine/job-file.ts';
import { now } from '../engine/clock.ts';
import { JobQueue } from './job-queue.ts';

/** How a queued run is retried: attempts in all (the first included), and the wait before the first retry (doubling after). */
export interface RetryPolicy {
  attempts: number;
  backoffMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, backoffMs: 10_000 };

/**
 * Queues a job for the workers instead of running it here: the whole job file is checked first
 * (nothing is written for a bad one), the run is created (so its key is known at once), and a
 * worker of `queue` runs its steps. Needs PostgreSQL: workers on other machines share the store.
 */
export async function enqueueJob(
  engine: Engine,
  job: JobFile,
  opts: {
    key?: string | undefined;
    baseDir?: string | undefined;
    queue: string;
    retry?: RetryPolicy | undefined;
    url: string;
    /** An open connection to the queue, for many runs in a row (else one is opened for this call). */
    jobs?: JobQueue | undefined;
  },
): Promise<string> {
  if (engine.store.backend !== 'postgres') {
    throw new EngineError('invalid_input', 'queuing needs PostgreSQL (--database or RAILBOOK_DATABASE_URL): workers reach the runs through the shared database');
  }
  await checkJob(engine, job, opts);
  const { state } = await engine.open(job.workflow, { key: opts.key ?? job.key, profile: job.profile });
  const running = Object.entries(state.steps).find(([, s]) => s.status === 'running');
  if (running) throw new EngineError('running', `run "${state.key}" has step "${running[0]}" running; wait for it before queuing the run`);
  const existing = await engine.store.queue.get(state.key);
  if (existing && (existing.status === 'queued' || existing.status === 'running')) {
    throw new EngineError('running', `run "${state.key}" is already ${existing.status} on queue "${existing.queue}"`);
  }
  const retry = opts.retry ?? DEFAULT_RETRY;
  // The job as the worker will read it: relative file paths made absolute from where it was given.
  const stored: JobFile = { ...job, key: state.key };
  await engine.store.queue.add({
    key: state.key, queue: opts.queue, job: JSON.stringify({ job: stored, baseDir: opts.baseDir ?? process.cwd() }),
    maxAttempts: retry.attempts, backoffMs: retry.backoffMs, enqueued: now(),
  });
  const queue = opts.jobs ?? (await JobQueue.open(opts.url));
  try {
    await queue.enqueue(state.key, opts.queue);
  } catch (e) {
    await engine.store.queue.failQueued(state.key, now(), `could not be queued: ${(e as Error).message}`).catch(() => {});
    throw e;
  } finally {
    if (!opts.jobs) await queue.release();
  }
  engine.bus.emit('change', state.key);
  return state.key;
}
