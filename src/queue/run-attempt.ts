import type { Engine } from '../engine/engine.ts';
import { now } from '../engine/clock.ts';
import type { JobFile } from '../engine/job-file.ts';
import { runJob } from '../engine/job-runner.ts';
import type { QueuedRun } from '../store/run-queue.ts';
import type { JobQueue } from './job-queue.ts';

/** When the next attempt may start: the backoff, doubled for each attempt after the first retry. */
export function retryAt(q: Pick<QueuedRun, 'attempts' | 'backoffMs'>, from = Date.now()): Date {
  return new Date(from + q.backoffMs * 2 ** Math.max(0, q.attempts - 1));
}

export type AttemptOutcome = 'done' | 'retry' | 'failed' | 'handed_back' | 'stale';

/**
 * One attempt at a queued run, on this worker: claim it (a delivery of a run that is not queued
 * any more is dropped), run its remaining steps as `railbook run` would, and settle how it went —
 * done; failed and queued again after the backoff while attempts remain; failed for good; or, when
 * the worker is stopping, handed back (not counted as an attempt) for another worker to go on.
 */
export async function runAttempt(
  engine: Engine,
  queue: JobQueue,
  key: string,
  opts: { worker: string; jobId: string; stopping: AbortSignal },
): Promise<AttemptOutcome> {
  const store = engine.store;
  const claimed = await store.queue.claim(key, opts.worker, opts.jobId, now());
  if (!claimed) return 'stale';
  engine.bus.emit('change', key);
  let failure: string | undefined;
  let handedBack = false;
  try {
    const { job, baseDir } = JSON.parse(claimed.job) as { job: JobFile; baseDir?: string };
    // Files earlier steps made on other machines (or uploaded to the web app) come here first.
    await store.artifacts.pullRun(key);
    const result = await runJob(engine, job, { key, baseDir, alreadyChecked: true, signal: opts.stopping });
    if (result.stopped) handedBack = true;
    else if (result.failed) failure = `step "${result.failed.step}": ${result.failed.error}`;
  } catch (e) {
    failure = (e as Error).message;
  }
  // Stopping midway through a step: the engine records it interrupted; the run goes back too.
  if (!handedBack && opts.stopping.aborted && failure !== undefined) handedBack = true;
  let outcome: AttemptOutcome;
  if (handedBack) {
    await store.queue.settle(key, opts.worker, 'queued', now(), null, { uncount: true });
    await queue.enqueue(key, claimed.queue);
    outcome = 'handed_back';
  } else if (failure === undefined) {
    await store.queue.settle(key, opts.worker, 'done', now(), null);
    outcome = 'done';
  } else if (claimed.attempts < claimed.maxAttempts) {
    await store.queue.settle(key, opts.worker, 'queued', now(), failure);
    await queue.enqueue(key, claimed.queue, retryAt(claimed));
    outcome = 'retry';
  } else {
    await store.queue.settle(key, opts.worker, 'failed', now(), failure);
    outcome = 'failed';
  }
  engine.bus.emit('change', key);
  return outcome;
}
