import type { Command } from 'commander';
import { closeEngine, databaseUrl, openEngine, withGlobalOptions, type GlobalOptions } from '../context.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { countFrom, leaseFrom, secondsFrom } from '../queue-options.ts';

interface Options extends GlobalOptions {
  concurrency?: string;
  queue?: string[];
  lease?: string;
  grace?: string;
}

export function workerCommand(program: Command): void {
  const cmd = program
    .command('worker')
    .description('run queued runs (railbook run job.json --queue) from the shared PostgreSQL database, headlessly, until stopped')
    .option('-c, --concurrency <n>', 'runs at once (default 1)')
    .option('-q, --queue <name...>', 'queue(s) to take runs from (default: default)')
    .option('--lease <seconds>', 'how long a worker may go silent before others take it for dead and retry its runs (default: $RAILBOOK_LEASE, else 30)')
    .option('--grace <seconds>', 'on Ctrl-C / SIGTERM: how long running steps may take to finish before their runs are handed back to the queue (default 30)')
    .addHelpText('after', `
Any number of workers, on any machines that reach the database, share the queue: each run is
taken by one of them. A worker that dies (killed, crashed, cut off) stops beating; after the
lease the others mark its running step interrupted and queue the run again (its history shows
both attempts), until the run's attempts (railbook run --queue --attempts) are used up.

Ctrl-C or SIGTERM stops taking runs; steps running get --grace to finish; what is left is handed
back to the queue for another worker. A second Ctrl-C quits at once.

Examples:
  RAILBOOK_DATABASE_URL=postgres://db.internal/railbook railbook worker --concurrency 4
  railbook worker --database postgres://db/railbook --queue crawl --queue reports`)
    .action(async (opts: Options) => {
      const url = databaseUrl(opts);
      if (!url) throw new CliError('railbook worker needs the PostgreSQL database the runs are queued in: give --database postgres://… or set RAILBOOK_DATABASE_URL');
      const concurrency = countFrom('--concurrency', opts.concurrency, 256) ?? 1;
      const leaseMs = leaseFrom(opts.lease) ?? 30_000;
      const graceMs = secondsFrom('--grace', opts.grace) ?? 30_000;
      const [{ startWorker, workerName }, { DEFAULT_QUEUE, validateQueueName }] = await Promise.all([import('../../queue/worker.ts'), import('../../queue/job-queue.ts')]);
      let queues: string[];
      try {
        queues = [...new Set((opts.queue?.length ? opts.queue : [DEFAULT_QUEUE]).map(validateQueueName))];
      } catch (e) {
        throw new CliError(`--queue: ${(e as Error).message}`);
      }
      const name = workerName();
      const engine = await openEngine(opts, { worker: name, leaseMs });
      let worker;
      try {
        worker = await startWorker({
          engine, url, concurrency, queues, leaseMs, graceMs,
          onAttempt: (key, outcome) => process.stderr.write(`railbook: ${key}: ${outcome.replace('_', ' ')}\n`),
        });
      } catch (e) {
        await closeEngine(engine);
        throw e;
      }
      // Workers fire schedules too, so a setup with no server still runs them (each firing once).
      const [{ Scheduler }, { logFiring }] = await Promise.all([import('../../schedule/scheduler.ts'), import('./serve.ts')]);
      const scheduler = new Scheduler(engine, { onFire: logFiring });
      scheduler.start();
      process.stderr.write(`railbook: worker ${name} taking runs from ${queues.map((q) => `"${q}"`).join(', ')} (${concurrency} at once)\n`);
      let signals = 0;
      const onSignal = (signal: NodeJS.Signals) => {
        if (++signals > 1) {
          process.stderr.write(`railbook: ${signal} again, quitting at once\n`);
          process.exit(EXIT.unexpected);
        }
        process.stderr.write(`railbook: stopping: no new runs; running steps get ${graceMs / 1000} s to finish\n`);
        void scheduler.stop().finally(() => worker.stop());
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        await worker.done;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await scheduler.stop();
        await closeEngine(engine);
      }
      process.stderr.write('railbook: worker stopped\n');
    });
  withGlobalOptions(cmd);
}
