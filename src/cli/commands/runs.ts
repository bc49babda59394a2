import type { Command } from 'commander';
import type { QueuedRun } from '../../store/run-queue.ts';
import type { Engine } from '../../engine/engine.ts';
import type { RunState } from '../../engine/run-state.ts';
import { withEngine, withGlobalOptions, type GlobalOptions } from '../context.ts';
import { formatTable } from '../table.ts';
import { summarizeRun } from '../../engine/run-summary.ts';

interface Options extends GlobalOptions {
  workflow?: string;
  profile?: string;
  limit: string;
  json?: boolean;
  archived?: boolean;
  all?: boolean;
}

export function runsCommand(program: Command): void {
  const cmd = program
    .command('runs')
    .description('list runs, most recently updated first: key, workflow, profile, status, updated')
    .option('-w, --workflow <id>', 'only runs of this workflow')
    .option('-p, --profile <name>', 'only runs of this profile')
    .option('-n, --limit <n>', 'at most this many runs', '100')
    .option('--archived', 'only archived runs (they are left out by default)')
    .option('--all', 'current and archived runs')
    .option('--json', 'print JSON instead of a table')
    .addHelpText('after', `
Status is one of: "n/m done", "running <step>", "failed <step>", "cancelled <step>",
"interrupted <step>" or "finalized"; "(archived)" marks an archived run.

Examples:
  railbook runs
  railbook runs --workflow hello --profile acme
  railbook runs --archived`)
    .action(async (opts: Options) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1) {
        const { CliError } = await import('../exit-codes.ts');
        throw new CliError(`--limit must be a positive whole number, not "${opts.limit}"`);
      }
      if (opts.archived && opts.all) {
        const { CliError } = await import('../exit-codes.ts');
        throw new CliError('--archived and --all do not go together: --archived lists only archived runs, --all lists every run');
      }
      const archived = opts.all ? 'all' : opts.archived ? 'only' : 'hide';
      await withEngine(opts, async (engine) => {
        const listed = await engine.listRuns({ workflow: opts.workflow, profile: opts.profile, limit, archived });
        const states = await Promise.all(listed.map((r) => currentState(engine, r.key)));
        const queued = await engine.store.queue.many(listed.map((r) => r.key));
        const rows = listed.map((r, i) => {
          const st = states[i];
          const q = queued.get(r.key);
          return {
            ...(q ? { queue: { queue: q.queue, status: q.status, attempts: q.attempts, maxAttempts: q.maxAttempts, worker: q.worker, error: q.error } } : {}), key: r.key, workflow: r.workflow, profile: r.profile, status: queueStatus(q) ?? (st ? runStatus(engine, st) : 'unknown'), updated: r.updated, finalized: r.finalized, archived: r.archived };
        });
        if (opts.json) {
          process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
          return;
        }
        // Said also when nothing else is listed: "no runs yet" would be wrong while archived ones exist.
        const hidden = archived === 'hide' ? await engine.countRuns({ workflow: opts.workflow, profile: opts.profile, archived: 'only' }) : 0;
        const hiddenNote = hidden > 0 ? `${hidden} archived run${hidden === 1 ? '' : 's'} not shown: --archived or --all lists ${hidden === 1 ? 'it' : 'them'}` : '';
        if (rows.length === 0) {
          process.stderr.write(`${archived === 'only' ? 'no archived runs' : hidden > 0 ? `no runs listed (${hiddenNote})` : 'no runs yet'}\n`);
        } else {
          const status = (r: (typeof rows)[number]) => (r.archived && archived === 'all' ? `${r.status} (archived)` : r.status);
          process.stdout.write(formatTable(['KEY', 'WORKFLOW', 'PROFILE', 'STATUS', 'UPDATED'], rows.map((r) => [r.key, r.workflow, r.profile, status(r), localTime(r.updated)])));
          if (hiddenNote) process.stderr.write(`(${hiddenNote})\n`);
        }
      }, { warn: false, workflows: false });
    });
  withGlobalOptions(cmd);
}

/** The state as the engine sees it (a step whose process died shows as interrupted). */
async function currentState(engine: Engine, key: string): Promise<RunState | undefined> {
  try {
    return await engine.get(key);
  } catch {
    return engine.store.runs.get(key);
  }
}

/** Where a queued run stands, while the queue has the say (queued, running, failed for good); else undefined. */
function queueStatus(q: QueuedRun | undefined): string | undefined {
  if (!q) return undefined;
  if (q.status === 'queued') return q.attempts > 0 ? `queued (retry ${q.attempts + 1}/${q.maxAttempts})` : 'queued';
  if (q.status === 'running') return `running on ${q.worker ?? '?'}`;
  if (q.status === 'failed') return `failed (${q.attempts}/${q.maxAttempts} attempts)`;
  return undefined;
}

/** One word or two about where a run stands. */
export function runStatus(engine: Engine | undefined, st: RunState): string {
  const { finalized, done, total, attention } = summarizeRun(st, engine?.registry.get(st.workflow));
  if (finalized) return 'finalized';
  if (attention) return `${attention.status} ${attention.step}`;
  return `${done}/${total} done`;
}

/** `2025-01-31 14:05` in the local time zone: what a person compares with their clock. */
function localTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
