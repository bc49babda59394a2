import { Logger, makeWorkerUtils, type LogFunctionFactory, type WorkerUtils } from 'graphile-worker';

/**
 * The job queue: graphile-worker on the same PostgreSQL database (docs/DECISIONS.md says why this
 * one). It only carries "run this key" messages; what a run is up to is Railbook's own bookkeeping
 * (store/run-queue.ts). Named queues are task identifiers: a worker fetches only the tasks it
 * knows, so `railbook worker --queue crawl` takes only runs queued on "crawl".
 */
export const TASK_PREFIX = 'railbook_run:';
export const DEFAULT_QUEUE = 'default';

export function taskFor(queue: string): string {
  return TASK_PREFIX + queue;
}

/** A queue name people type: short, no spaces or odd characters. */
export function validateQueueName(name: string): string {
  const n = name.trim();
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$/.test(n)) throw new Error(`queue name "${name}" must be 1–40 letters, digits, "_", "." or "-", starting with a letter or digit`);
  return n;
}

/** graphile-worker's log lines: errors and warnings only, on stderr, prefixed like Railbook's own. */
const quietLog: LogFunctionFactory = () => (level, message) => {
  if (level === 'error' || level === 'warning') process.stderr.write(`railbook: queue: ${message}\n`);
};
export const queueLogger = new Logger(quietLog);

export interface PayloadOfRun {
  key: string;
}

export class JobQueue {
  private constructor(private readonly utils: WorkerUtils) {}

  /** Connects and makes sure the queue's own tables exist (graphile-worker migrates them). */
  static async open(url: string): Promise<JobQueue> {
    const utils = await makeWorkerUtils({ connectionString: url, logger: queueLogger, maxPoolSize: 2 });
    try {
      await utils.migrate();
    } catch (e) {
      await utils.release();
      throw e;
    }
    return new JobQueue(utils);
  }

  /** Asks a worker of `queue` to run `key`, now or at `runAt`. Resolves with the job's id. */
  async enqueue(key: string, queue: string, runAt?: Date): Promise<string> {
    const payload: PayloadOfRun = { key };
    // Railbook counts attempts itself (a retry is a new job): the queue never retries on its own.
    const job = await this.utils.addJob(taskFor(queue), payload, { maxAttempts: 1, ...(runAt ? { runAt } : {}) });
    return String(job.id);
  }

  /** Frees the jobs a dead worker had locked and removes that one: it is being re-queued anew. */
  async dropDeadWorkersJob(queueWorkerId: string, jobId: string): Promise<void> {
    await this.utils.forceUnlockWorkers([queueWorkerId]);
    await this.utils.completeJobs([jobId]);
  }

  async release(): Promise<void> {
    await this.utils.release();
  }
}
