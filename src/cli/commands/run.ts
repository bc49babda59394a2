import path from 'node:path';
import type { Command } from 'commander';
import type { JobFile } from '../../engine/job-file.ts';
import { closeEngine, openEngine, withGlobalOptions } from '../context.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { maxUploadFrom, withMaxUploadOption } from '../max-upload.ts';
import type { NotebookRunOptions } from './run-notebook.ts';

interface Options extends NotebookRunOptions {
  rerunChanged?: boolean;
  maxUpload?: string;
  /** `--queue [name]`: true for the default queue. */
  queue?: string | boolean;
  attempts?: string;
  backoff?: string;
}

/** Options that mean something only for a notebook. */
const NOTEBOOK_ONLY = { parameter: '-p', raw: '-r', parametersFile: '-f', output: '-o', kernel: '--kernel', cwd: '--cwd', timeout: '--timeout', logOutput: '--log-output' } as const;

export function runCommand(program: Command): void {
  const cmd = program
    .command('run')
    .argument('<file>', 'a job file (.json: { "workflow": "<id>", "key"?: "…", "profile"?: "…", "inputs": { "<step>": { "<field>": value } } }) or a notebook (.ipynb or a percent script)')
    .description('run a job file or a notebook headlessly: every step (cell) in order; prints the run key')
    .option('-k, --key <key>', 'run key to create (or resume); overrides the file\'s "key"')
    .option('--profile <name>', 'profile for a new run; overrides the file\'s "profile"')
    .option('--rerun-changed', 'when the run exists and the file gives a done step other values: revert to the first such step and run again from there')
    .option('-p, --parameter <name value...>', 'notebook: set a parameter (repeatable): 5 → int, 0.5 → float, True/true/False/false → bool, None → null, else text')
    .option('-r, --raw <name value...>', 'notebook: set a parameter to the text as given (repeatable)')
    .option('-f, --parameters-file <file>', 'notebook: parameters from a JSON or YAML file (a mapping of name → value); -p and -r win')
    .option('-o, --output <out.ipynb>', 'notebook: write the executed notebook here (also when a cell fails)')
    .option('--kernel <name>', 'notebook: run in this kernelspec instead of the notebook\'s own')
    .option('--cwd <dir>', 'notebook: the kernel\'s working folder (default: the notebook\'s folder)')
    .option('--timeout <seconds>', 'notebook: stop a cell that runs longer than this (exit 1)')
    .option('--log-output', 'notebook: print what the cells print, on stderr, as they print it')
    .option('--queue [name]', 'job file: queue the run for `railbook worker` instead of running it here (PostgreSQL; queue "default" unless named); prints the run key')
    .option('--attempts <n>', 'with --queue: attempts in all before the run is failed (default 3)')
    .option('--backoff <seconds>', 'with --queue: wait before the first retry, doubling after (default 10)')
    .addHelpText('after', `
The whole file is checked before anything is written: a bad file creates no run.
Steps left out of "inputs" take their suggested or default values. A file field takes a local
path, relative to the job file's folder; the file is copied into the run's artifacts. A file
larger than the upload limit (default 10 GB; --max-upload or $RAILBOOK_MAX_UPLOAD) is refused.
A key that already exists resumes that run: steps already done are skipped. If the file gives
a done step other values than the run holds, nothing is changed and the command exits 2 naming
each differing step and field; --rerun-changed reverts to the first of them and runs on from there.

With --queue the run is created and handed to a worker (\`railbook worker\`, on any machine that
reaches the same PostgreSQL database); \`railbook runs\` shows it queued, running, done or failed.

Progress goes to stderr; stdout's last line is the run key, so scripts can capture it.
Exit codes: 0 every step done; 1 a step failed (stderr says which and why); 2 bad job file,
unknown workflow, bad key or bad usage (nothing written).

A notebook (.ipynb, or a percent script such as .py) runs papermill's way: the notebook comes
first, then -p name value for each parameter of its "parameters" cell(s). An unknown parameter
or a value its field refuses exits 2 and writes nothing. A failing cell exits 1 naming the cell
(numbered from 0, as Jupyter counts) and its error; -o still writes the notebook up to it.

Examples:
  railbook run job.json
  railbook run report.ipynb -p month 2024-05 -p limit 10 -o report-may.ipynb
  railbook run report.ipynb -f params.yaml --kernel xpython --timeout 600
  key=$(railbook run job.json --key acme-hello-07) && railbook state "$key"
  railbook export default-hello-01 > job.json && railbook run job.json --key hello-again
  railbook run job.json --key default-hello-01 --rerun-changed
  RAILBOOK_DATABASE_URL=postgres://db/railbook railbook run job.json --queue --attempts 5`)
    .action(async (file: string, opts: Options) => {
      const { isNotebookFile } = await import('../../notebooks/read-notebook.ts');
      if (isNotebookFile(path.basename(file))) {
        if (opts.rerunChanged) throw new CliError('--rerun-changed is for job files; a notebook run resumed with --key runs its cells from the first one not done');
        if (opts.queue !== undefined) throw new CliError('--queue is for job files; a notebook runs here (export a notebook run as a job file with railbook export <key> to queue it)');
        const { runNotebook } = await import('./run-notebook.ts');
        await runNotebook(file, { ...opts, maxUploadBytes: maxUploadFrom(opts.maxUpload) });
        return;
      }
      const notebookOnly = (Object.keys(NOTEBOOK_ONLY) as (keyof typeof NOTEBOOK_ONLY)[]).filter((k) => opts[k] !== undefined);
      if (notebookOnly.length) throw new CliError(`${notebookOnly.map((k) => NOTEBOOK_ONLY[k]).join(', ')}: only for notebooks (.ipynb or a percent script); ${file} is a job file`);
      if (opts.queue === undefined && (opts.attempts !== undefined || opts.backoff !== undefined)) throw new CliError('--attempts and --backoff go with --queue');
      if (opts.queue !== undefined) {
        const { queueJobFile } = await import('./run-queued.ts');
        await queueJobFile(file, { ...opts, queue: opts.queue });
        return;
      }
      await runJobFile(file, opts);
    });
  withMaxUploadOption(cmd);
  withGlobalOptions(cmd);
}

/** A job refused because the run it names holds other inputs: nothing was changed (exit 2). */
class UnchangedRunError extends CliError {}

async function runJobFile(file: string, opts: Options): Promise<void> {
  const maxUploadBytes = maxUploadFrom(opts.maxUpload); // bad usage is reported before the file is read
  const [{ readJobFile, checkJob, InputsChangedError, JobFileError }, { runJob }, { JobProgress }] = await Promise.all([
    import('../../engine/job-file.ts'),
    import('../../engine/job-runner.ts'),
    import('../progress-bar.ts'),
  ]);
  const named = (e: unknown): unknown => {
    if (e instanceof InputsChangedError) {
      const first = e.firstStep;
      return new UnchangedRunError(
        `${e.problems.map((p) => p.message).join('\n')}\n` +
          `railbook: nothing was changed. To revert to step "${first}" and run again from there with this file's inputs: ` +
          `railbook run ${file} --key ${e.runKey} --rerun-changed (or leave out the key for a new run)`,
      );
    }
    if (!(e instanceof JobFileError)) return e;
    // "--key" is not in the file; "" is about the file as a whole and already names it.
    const aboutFile = e.problems.some((p) => p.field !== '' && !p.field.startsWith('--'));
    const text = e.problems.length > 1 ? `${e.problems.length} problems:\n  ${e.message.split('\n').join('\n  ')}` : e.message;
    return new CliError(aboutFile ? `bad job file ${file}: ${text}` : text);
  };

  let loaded: { job: JobFile; baseDir: string };
  try {
    loaded = await readJobFile(file);
  } catch (e) {
    throw named(e);
  }
  const job: JobFile = { ...loaded.job, ...(opts.profile !== undefined ? { profile: opts.profile } : {}) };
  // The file's own "key" is the job's business: passing only --key lets a bad one be named rightly.
  const key = opts.key;
  const rerunChanged = opts.rerunChanged === true;
  const baseDir = loaded.baseDir;

  const engine = await openEngine(opts, { maxUploadBytes });
  const progress = new JobProgress();
  // This process runs one job: the run it changes is ours (needed to cancel on Ctrl-C).
  let runKey: string | undefined;
  let runningStep: string | undefined;
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++;
    progress.clear();
    if (interrupts === 1 && runKey && runningStep) {
      process.stderr.write(`\nrailbook: stopping step "${runningStep}" (${signal}; press Ctrl-C again to quit at once)\n`);
      // Already finished (the cancel is refused): quit.
      engine.cancel(runKey, runningStep).catch(quit);
      return;
    }
    quit();
  };
  const quit = () => {
    void closeEngine(engine).finally(() => {
      process.stderr.write(`railbook: stopped${runKey ? `; resume with: railbook run ${file} --key ${runKey}` : ''}\n`);
      process.exit(EXIT.stepFailed);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    try {
      // Everything about the file is checked before the run is created: nothing is written for a bad file.
      await checkJob(engine, job, { key, baseDir, rerunChanged });
    } catch (e) {
      throw named(e);
    }
    const result = await runJob(engine, job, {
      key,
      baseDir,
      rerunChanged,
      alreadyChecked: true,
      observer: {
        onRunOpen: (k) => { runKey = k; },
        onStepStart: (step, i, n) => { runningStep = step.id; progress.onStepStart(step, i, n); },
        onProgress: (e) => progress.onProgress(e),
        onStepEnd: (step, state) => { runningStep = undefined; runKey ??= state.key; progress.onStepEnd(step, state); },
      },
    }).catch((e: unknown) => {
      throw named(e);
    });
    const finalKey = result.state.key;
    if (result.failed) {
      const wf = engine.registry.get(result.state.workflow);
      const title = wf?.steps.find((s) => s.id === result.failed!.step)?.title;
      const status = result.state.steps[result.failed.step]?.status ?? 'failed';
      process.stdout.write(`${finalKey}\n`);
      throw new CliError(
        `step "${result.failed.step}"${title ? ` (${title})` : ''} ${status === 'failed' ? 'failed' : `was ${status}`}: ${result.failed.error}\n` +
          `railbook: run ${finalKey} keeps every step done before it; fix the cause and resume with: railbook run ${file} --key ${finalKey}`,
        EXIT.stepFailed,
      );
    }
    process.stdout.write(`${finalKey}\n`);
  } catch (e) {
    // A run was created, then something other than a step failed (e.g. a suggested value did not validate).
    // (A job refused for changed inputs changed nothing: its message already says what to do.)
    if (runKey && !(e instanceof CliError && e.exitCode === EXIT.stepFailed) && !(e instanceof UnchangedRunError)) {
      const { describeError } = await import('../errors.ts');
      const d = describeError(e);
      throw new CliError(`${d.message}\nrailbook: run ${runKey} was kept; resume with: railbook run ${file} --key ${runKey}`, d.exitCode);
    }
    throw e;
  } finally {
    progress.clear();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await closeEngine(engine);
  }
}

