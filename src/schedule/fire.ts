import type { Engine } from '../engine/engine.ts';
import type { JobFile } from '../engine/job-file.ts';
import { runJob } from '../engine/job-runner.ts';
import type { Schedule } from '../store/schedules.ts';
import { enqueueJob } from '../queue/enqueue.ts';
import { DEFAULT_QUEUE } from '../queue/job-queue.ts';

/** The job a schedule was added with, and the folder its relative file paths are read from. */
export interface ScheduledJob {
  job: JobFile;
  baseDir: string;
}

/**
 * One firing becomes a normal run with its own (numbered) key. On PostgreSQL it is queued for a
 * worker; on SQLite this process runs it, in the background. Resolves with the key once the run
 * exists; `finished` (SQLite) settles when its steps are done.
 */
export async function fireSchedule(engine: Engine, s: Schedule): Promise<{ key: string; finished?: Promise<unknown> }> {
  const { job: stored, baseDir } = JSON.parse(s.job) as ScheduledJob;
  // Each firing is a new run: a key in the job file would make every firing resume one run.
  const job: JobFile = { ...stored };
  delete job.key;
  const url = engine.store.databaseUrl;
  if (url) {
    const key = await enqueueJob(engine, job, { queue: s.queue ?? DEFAULT_QUEUE, url, baseDir });
    return { key };
  }
  let opened: (k: string) => void = () => {};
  const key = new Promise<string>((resolve) => { opened = resolve; });
  const finished = runJob(engine, job, { baseDir, observer: { onRunOpen: (k) => opened(k) } });
  // A job refused before its run was created (a bad input, say) rejects here, with no key.
  const first = await Promise.race([key, finished.then(() => key)]);
  return { key: first, finished: finished.catch(() => undefined) };
}
