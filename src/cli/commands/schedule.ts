import type { Command } from 'commander';
import type { Schedule } from '../../store/schedules.ts';
import { displayPath, withEngine, withGlobalOptions, type GlobalOptions } from '../context.ts';
import { CliError } from '../exit-codes.ts';
import { formatTable } from '../table.ts';

interface AddOptions extends GlobalOptions {
  cron: string;
  tz?: string;
  name?: string;
  missed?: string;
  queue?: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$/;

export function scheduleCommand(program: Command): void {
  const schedule = program
    .command('schedule')
    .description('run a job file on a schedule (cron): add, list, pause, resume, remove')
    .addHelpText('after', `
A schedule is a job file plus a cron expression (and a time zone). Each firing is a normal run
with its own key, listed by railbook runs and in the web app (Schedules page). Schedules fire
while a railbook serve (or, with PostgreSQL, a railbook worker) is running; with PostgreSQL and
several of them, each firing still makes exactly one run (and is queued for a worker).

Firings missed while nothing was running: --missed run-once (default) runs once at start for
the newest missed time; --missed skip skips them and waits for the next.

Examples:
  railbook schedule add weekly-crawl.json --cron "0 6 * * 1" --tz Europe/Paris --name monday-crawl
  railbook schedule list
  railbook schedule pause monday-crawl
  railbook schedule resume monday-crawl
  railbook schedule remove monday-crawl`);

  const add = schedule
    .command('add')
    .argument('<job.json>', 'the job file each firing runs (checked now; its "key" is ignored: each firing is a new run)')
    .requiredOption('--cron <expression>', '5 fields "min hour day month weekday" (e.g. "0 6 * * 1"), or 6 with seconds first')
    .option('--tz <zone>', 'IANA time zone the expression is read in (e.g. Europe/Paris; default: the server\'s)')
    .option('--name <name>', 'a name to refer to it by (default: the job file\'s name)')
    .option('--missed <policy>', 'firings missed while nothing ran: run-once (default) or skip')
    .option('--queue <name>', 'PostgreSQL: the queue its runs go to (default: default)')
    .description('add a schedule')
    .action(async (file: string, opts: AddOptions) => {
      const [{ readJobFile, checkJob, JobFileError }, { validateCron, nextFires, CronError }, { validateQueueName }] = await Promise.all([
        import('../../engine/job-file.ts'), import('../../schedule/cron.ts'), import('../../queue/job-queue.ts'),
      ]);
      const path = await import('node:path');
      const name = (opts.name ?? path.basename(file).replace(/\.json$/i, '')).trim();
      if (!NAME.test(name)) throw new CliError(`schedule name "${name}" must be 1–40 letters, digits, "_", "." or "-" (give one with --name)`);
      const missed = opts.missed ?? 'run-once';
      if (missed !== 'run-once' && missed !== 'skip') throw new CliError(`--missed must be run-once or skip, not "${missed}"`);
      const tz = opts.tz?.trim() || null;
      try {
        validateCron({ cron: opts.cron, tz });
      } catch (e) {
        if (e instanceof CronError) throw new CliError(`--cron: ${e.message}`);
        throw e;
      }
      let queue: string | null = null;
      if (opts.queue !== undefined) {
        try {
          queue = validateQueueName(opts.queue);
        } catch (e) {
          throw new CliError(`--queue: ${(e as Error).message}`);
        }
      }
      let loaded;
      try {
        loaded = await readJobFile(file);
      } catch (e) {
        if (e instanceof JobFileError) throw new CliError(`bad job file ${displayPath(file)}: ${e.message}`);
        throw e;
      }
      const job = { ...loaded.job };
      delete job.key;
      await withEngine(opts, async (engine) => {
        if (queue && engine.store.backend !== 'postgres') throw new CliError('--queue needs PostgreSQL (--database or RAILBOOK_DATABASE_URL); on SQLite the server runs scheduled runs itself');
        try {
          await checkJob(engine, job, { baseDir: loaded.baseDir });
        } catch (e) {
          if (e instanceof JobFileError) throw new CliError(`bad job file ${displayPath(file)}: ${e.message}`);
          throw e;
        }
        const added = await engine.store.schedules.add({
          name, job: JSON.stringify({ job, baseDir: loaded.baseDir }), workflow: job.workflow, cron: opts.cron.trim(), tz, missed, queue, created: new Date().toISOString(),
        });
        if (!added) throw new CliError(`a schedule named "${name}" exists already (railbook schedule remove ${name}, or give another --name)`);
        const next = nextFires({ cron: opts.cron, tz }, new Date(), 3).map((d) => localTime(d, tz)).join(', ');
        process.stdout.write(`added schedule ${name}: ${job.workflow} at "${opts.cron.trim()}"${tz ? ` (${tz})` : ''}; next: ${next}\n`);
        process.stderr.write('railbook: schedules fire while railbook serve (or, with PostgreSQL, railbook worker) runs\n');
      });
    });
  withGlobalOptions(add);

  const list = schedule
    .command('list', { isDefault: true })
    .option('--json', 'as JSON')
    .description('list the schedules: next fire time and how the last runs went')
    .action(async (opts: GlobalOptions & { json?: boolean }) => {
      const { nextFires } = await import('../../schedule/cron.ts');
      await withEngine(opts, async (engine) => {
        const rows = [];
        for (const s of await engine.store.schedules.list()) {
          const [last] = await engine.store.schedules.firings(s.name, 1);
          const next = s.paused ? null : nextFires({ cron: s.cron, tz: s.tz }, new Date(), 1)[0] ?? null;
          let lastStatus = last ? last.status : 'never fired';
          if (last?.run) {
            const { scheduledRunStatus } = await import('../../schedule/run-outcome.ts');
            lastStatus = await scheduledRunStatus(engine, last.run);
          } else if (last?.status === 'failed') lastStatus = `failed: ${last.error ?? ''}`;
          rows.push({ ...summary(s), next: next?.toISOString() ?? null, lastRun: last?.run ?? null, lastFire: last?.fireAt ?? null, lastStatus });
        }
        if (opts.json) {
          process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
          return;
        }
        if (rows.length === 0) {
          process.stderr.write('no schedules yet (railbook schedule add <job.json> --cron "…")\n');
          return;
        }
        process.stdout.write(formatTable(['NAME', 'WORKFLOW', 'CRON', 'NEXT', 'LAST RUN', 'STATUS'], rows.map((r) => [
          r.name, r.workflow, `${r.cron}${r.tz ? ` (${r.tz})` : ''}`, r.paused ? 'paused' : r.next ? localTime(new Date(r.next), r.tz) : '—', r.lastRun ?? '—', r.lastStatus,
        ])));
      }, { warn: false, workflows: false });
    });
  withGlobalOptions(list, { workflows: false });

  for (const [verb, paused] of [['pause', true], ['resume', false]] as const) {
    const cmd = schedule
      .command(verb)
      .argument('<name>', 'the schedule')
      .description(paused ? 'stop a schedule firing (it is kept)' : 'let a paused schedule fire again, from now on (times that fell in the pause are not made up)')
      .action(async (name: string, opts: GlobalOptions) => {
        await withEngine(opts, async (engine) => {
          const s = await engine.store.schedules.get(name);
          if (!s) throw new CliError(`no schedule "${name}" (railbook schedule list)`);
          const changed = await engine.store.schedules.setPaused(name, paused, new Date().toISOString());
          process.stdout.write(changed ? `${paused ? 'paused' : 'resumed'} schedule ${name}\n` : `schedule ${name} was already ${paused ? 'paused' : 'running'}; nothing changed\n`);
        }, { warn: false, workflows: false });
      });
    withGlobalOptions(cmd, { workflows: false });
  }

  const remove = schedule
    .command('remove')
    .argument('<name>', 'the schedule')
    .description('remove a schedule (the runs it made stay)')
    .action(async (name: string, opts: GlobalOptions) => {
      await withEngine(opts, async (engine) => {
        if (!(await engine.store.schedules.remove(name))) throw new CliError(`no schedule "${name}" (railbook schedule list)`);
        process.stdout.write(`removed schedule ${name}; the runs it made are kept\n`);
      }, { warn: false, workflows: false });
    });
  withGlobalOptions(remove, { workflows: false });
}

function summary(s: Schedule) {
  return { name: s.name, workflow: s.workflow, cron: s.cron, tz: s.tz, missed: s.missed, queue: s.queue, paused: s.paused };
}

/** `2026-12-07 06:00` in the schedule's time zone (or the local one). */
function localTime(d: Date, tz: string | null): string {
  const f = new Intl.DateTimeFormat('sv-SE', { timeZone: tz ?? undefined, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  return f.format(d) + (tz ? ` ${tz}` : '');
}
