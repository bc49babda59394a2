import type { JobFile } from '../../engine/job-file.ts';
import { databaseUrl, displayPath, openEngine, closeEngine, type GlobalOptions } from '../context.ts';
import { CliError } from '../exit-codes.ts';
import { maxUploadFrom } from '../max-upload.ts';
import { countFrom, secondsFrom } from '../queue-options.ts';

export interface QueueOptions extends GlobalOptions {
  key?: string | undefined;
  profile?: string | undefined;
  queue: string | boolean;
  attempts?: string | undefined;
  backoff?: string | undefined;
  maxUpload?: string | undefined;
}

/** `railbook run job.json --queue [name]`: checks the file, creates the run, hands it to a worker; prints the key. */
export async function queueJobFile(file: string, opts: QueueOptions): Promise<void> {
  const maxUploadBytes = maxUploadFrom(opts.maxUpload);
  const attempts = countFrom('--attempts', opts.attempts, 100);
  const backoffMs = secondsFrom('--backoff', opts.backoff);
  const url = databaseUrl(opts);
  if (!url) {
    throw new CliError('--queue needs PostgreSQL, which workers on any machine share: give --database postgres://… or set RAILBOOK_DATABASE_URL (without it, run the job here: leave out --queue)');
  }
  const [{ readJobFile, JobFileError }, { enqueueJob, DEFAULT_RETRY }, { DEFAULT_QUEUE, validateQueueName }] = await Promise.all([
    import('../../engine/job-file.ts'),
    import('../../queue/enqueue.ts'),
    import('../../queue/job-queue.ts'),
  ]);
  let queue: string;
  try {
    queue = opts.queue === true ? DEFAULT_QUEUE : validateQueueName(String(opts.queue));
  } catch (e) {
    throw new CliError(`--queue: ${(e as Error).message}`);
  }
  let loaded: { job: JobFile; baseDir: string };
  try {
    loaded = await readJobFile(file);
  } catch (e) {
    if (e instanceof JobFileError) throw new CliError(`bad job file ${displayPath(file)}: ${e.message}`);
    throw e;
  }
  const job: JobFile = { ...loaded.job, ...(opts.profile !== undefined ? { profile: opts.profile } : {}) };
  const engine = await openEngine(opts, { maxUploadBytes });
  try {
    let key: string;
    try {
      key = await enqueueJob(engine, job, {
        key: opts.key, baseDir: loaded.baseDir, queue, url,
        retry: { attempts: attempts ?? DEFAULT_RETRY.attempts, backoffMs: backoffMs ?? DEFAULT_RETRY.backoffMs },
      });
    } catch (e) {
      if (e instanceof JobFileError) throw new CliError(`bad job file ${displayPath(file)}: ${e.message}`);
      throw e;
    }
    process.stderr.write(`railbook: queued on "${queue}"; a worker (railbook worker${queue === DEFAULT_QUEUE ? '' : ` --queue ${queue}`}) will run it; follow it with: railbook runs\n`);
    process.stdout.write(`${key}\n`);
  } finally {
    await closeEngine(engine);
  }
}
