/**
 * The queue library's ceiling for bench/queue-throughput.ts: a bare graphile-worker runner whose
 * one task returns at once. It is started exactly as `railbook worker` starts its runner
 * (src/queue/worker.ts: same concurrency, poll interval, pool size and quiet logger), so the only
 * difference between the two measurements is what a job does.
 *
 *   node --import tsx bench/queue-empty-worker.ts <database url> <concurrency>
 *
 * Prints "ready" on stdout once the runner is up; SIGTERM stops it.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { run } from 'graphile-worker';
import { queueLogger } from '../src/queue/job-queue.ts';

/** The empty job's task: a name no Railbook worker takes. */
export const EMPTY_TASK = 'bench_empty';

async function main(): Promise<void> {
  const [url, given] = process.argv.slice(2);
  const concurrency = Number(given);
  if (!url || !Number.isInteger(concurrency) || concurrency < 1) throw new Error('usage: queue-empty-worker.ts <database url> <concurrency>');
  const runner = await run({
    connectionString: url,
    concurrency,
    noHandleSignals: true,
    pollInterval: 1000,
    logger: queueLogger,
    maxPoolSize: concurrency + 2,
    taskList: { [EMPTY_TASK]: async () => {} },
  });
  const stop = () => void runner.stop();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.stdout.write('ready\n');
  await runner.promise;
}

// Only as a child: bench/queue-throughput.ts imports EMPTY_TASK from here.
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`queue-empty-worker: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exit(1);
  });
}
