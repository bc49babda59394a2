// `railbook run notebook.ipynb -p name value … -o out.ipynb`: papermill's interface on Railbook's
// engine. The notebook becomes a workflow for this command (registry.loadFile with the notebook
// loader), the parameters become a job's inputs (checked like a job file's), and the job runs as
// any run does: resumable with --key, listed by `railbook runs`, open in the web app.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Engine } from '../../engine/engine.ts';
import type { JobFile } from '../../engine/job-file.ts';
import type { Notebook } from '../../notebooks/notebook.ts';
import type { NotebookPlan } from '../../notebooks/plan.ts';
import { closeEngine, openEngine, type GlobalOptions } from '../context.ts';
import { CliError, EXIT } from '../exit-codes.ts';

export interface NotebookRunOptions extends GlobalOptions {
  key?: string | undefined;
  profile?: string | undefined;
  /** `-p name value …` as commander collects them: names and values in turn. */
  parameter?: string[] | undefined;
  /** `-r name value …`: values kept as the text given. */
  raw?: string[] | undefined;
  parametersFile?: string | undefined;
  output?: string | undefined;
  kernel?: string | undefined;
  cwd?: string | undefined;
  timeout?: string | undefined;
  /** `--log-output`: what the cells print, on stderr as it comes. */
  logOutput?: boolean | undefined;
  /** `--max-upload`, already read: the one upload limit in bytes. */
  maxUploadBytes?: number | undefined;
}

/** Where the command writes: the process's streams, or a test's. */
export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}


/** A parameter as given: its value, and whether it came as command-line text (`-p`), which a text parameter keeps as typed. */
interface Given {
  value: unknown;
  text?: string | undefined;
}

/** papermill's reading of a `-p` value: True/true and False/false, None, an int, a float, else the text. */
export function parseParameterValue(text: string): unknown {
  if (text === 'True' || text === 'true') return true;
  if (text === 'False' || text === 'false') return false;
  if (text === 'None') return null;
  if (/^[-+]?\d+$/.test(text)) return Number(text);
  if (/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(text) || /^[-+]?(inf|nan)$/i.test(text)) {
    const n = Number(text);
    if (Number.isFinite(n)) return n;
  }
  return text;
}

/** `-p a 1 -p b 2` arrives as ["a", "1", "b", "2"]: back into pairs. */
export function parameterPairs(flag: string, list: string[] | undefined): [string, string][] {
  const items = list ?? [];
  if (items.length % 2 !== 0) throw new CliError(`${flag} takes a name and a value (${flag} name value), got: ${items.join(' ')}`);
  const pairs: [string, string][] = [];
  for (let i = 0; i < items.length; i += 2) pairs.push([items[i]!, items[i + 1]!]);
  return pairs;
}

/** `-f params.json|params.yaml`: a flat mapping of parameter name → value. */
export async function readParametersFile(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read parameters file ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  let value: unknown;
  try {
    if (/\.ya?ml$/i.test(file)) {
      const { parseYamlSubset } = await import('../../notebooks/percent-yaml.ts');
      value = parseYamlSubset(text.split(/\r?\n/));
    } else {
      value = JSON.parse(text);
    }
  } catch (e) {
    throw new CliError(`parameters file ${file} cannot be read: ${(e as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CliError(`parameters file ${file} must hold a mapping of parameter name → value`);
  return value as Record<string, unknown>;
}

/** Everything given, by name: the file first, then `-p` and `-r` (the command line wins). */
async function givenParameters(opts: NotebookRunOptions): Promise<Map<string, Given>> {
  const given = new Map<string, Given>();
  if (opts.parametersFile !== undefined) {
    for (const [name, value] of Object.entries(await readParametersFile(opts.parametersFile))) given.set(name, { value });
  }
  for (const [name, text] of parameterPairs('-p', opts.parameter)) given.set(name, { value: parseParameterValue(text), text });
  for (const [name, text] of parameterPairs('-r', opts.raw)) given.set(name, { value: text, text });
  return given;
}

/**
 * The job inputs: each value goes to every parameters step whose cell declares it. A text
 * parameter given on the command line keeps its text (`-p name 5` means "5"); a list parameter
 * takes a JSON list (`-p items '[1, 2]'`). An unknown name is refused, naming the parameters there are.
 */
export function parameterInputs(plan: NotebookPlan, given: Map<string, Given>, file: string): JobFile['inputs'] {
  const inputs: JobFile['inputs'] = {};
  const known: string[] = [];
  const unknown = new Set(given.keys());
  for (const step of plan.steps) {
    if (step.kind !== 'parameters') continue;
    for (const spec of step.parameters?.parameters ?? []) {
      known.push(spec.name);
      const g = given.get(spec.name);
      if (!g) continue;
      unknown.delete(spec.name);
      let value = g.value;
      if (g.text !== undefined && (spec.type === 'string' || spec.type === 'multiline')) value = g.text;
      if (g.text !== undefined && spec.type === 'list' && g.text.trim().startsWith('[')) {
        try { value = JSON.parse(g.text); } catch { /* the field says what is wrong with the text */ }
      }
      (inputs[step.id] ??= {})[spec.name] = value;
    }
  }
  if (unknown.size) {
    const names = [...unknown].map((n) => `"${n}"`).join(', ');
    const have = known.length ? `its parameters: ${[...new Set(known)].join(', ')}` : 'it has no parameters cell (a code cell tagged "parameters")';
    throw new CliError(`${path.basename(file)} has no parameter${unknown.size > 1 ? 's' : ''} ${names} (${have})`);
  }
  return inputs;
}

/** "cell 3 ("Load the data")": the cell as Jupyter counts it (from 0, like notebook file errors), and its step title. */
function cellName(plan: NotebookPlan, stepId: string, title: string | undefined): string {
  const step = plan.steps.find((s) => s.id === stepId);
  return `cell ${step?.cell ?? '?'} ("${title ?? step?.title ?? stepId}")`;
}

function timeoutSeconds(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const s = Number(text);
  if (!Number.isFinite(s) || s <= 0) throw new CliError(`--timeout takes a number of seconds greater than 0, got "${text}"`);
  return s;
}

export async function runNotebook(file: string, opts: NotebookRunOptions, io: Io = { stdout: process.stdout, stderr: process.stderr }): Promise<void> {
  const abs = path.resolve(file);
  const timeout = timeoutSeconds(opts.timeout);
  // Only what reading the notebook needs, first: its kernel can then start while the rest loads.
  const [{ readNotebook }, { planNotebook }, { NotebookError }, { chooseRunner }, { prestartRunner, disposeWarmRunners }] = await Promise.all([
    import('../../notebooks/read-notebook.ts'),
    import('../../notebooks/plan.ts'),
    import('../../notebooks/notebook.ts'),
    import('../../notebooks/runner-choice.ts'),
    import('../../notebooks/warm-runner.ts'),
  ]);
  let plan: NotebookPlan;
  let nb: Notebook;
  try {
    nb = await readNotebook(abs);
    plan = planNotebook(nb);
  } catch (e) {
    throw e instanceof NotebookError ? new CliError(e.message) : e;
  }
  const job: JobFile = { workflow: plan.id, inputs: parameterInputs(plan, await givenParameters(opts), abs), ...(opts.profile !== undefined ? { profile: opts.profile } : {}) };
  const cwd = opts.cwd !== undefined ? path.resolve(opts.cwd) : undefined;
  prestartRunner(chooseRunner(nb.kernel, plan.language, opts.kernel), cwd ?? path.dirname(nb.file));
  try {
    await runPlanned(file, abs, nb, plan, job, cwd, timeout, opts, io);
  } finally {
    // Started early and never used (a bad value, a run already done): shut it down.
    await disposeWarmRunners();
  }
}

async function runPlanned(file: string, abs: string, nb: Notebook, plan: NotebookPlan, job: JobFile, cwd: string | undefined, timeout: number | undefined, opts: NotebookRunOptions, io: Io): Promise<void> {
  const [{ notebookLoader }, { checkJob, JobFileError }, { runJob }, { JobProgress }] = await Promise.all([
    import('../../notebooks/notebook-loader.ts'),
    import('../../engine/job-file.ts'),
    import('../../engine/job-runner.ts'),
    import('../progress-bar.ts'),
  ]);

  const engine = await openEngine(opts, { maxUploadBytes: opts.maxUploadBytes });
  const progress = new JobProgress({ stream: io.stderr });
  const { CellLog } = await import('../cell-log.ts');
  const log = opts.logOutput ? new CellLog((t) => { progress.clear(); io.stderr.write(t); }) : undefined;
  let runKey: string | undefined;
  let runningStep: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let timedOut: string | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    progress.clear();
    if (runKey && runningStep) {
      io.stderr.write(`\nrailbook: stopping cell "${runningStep}" (${signal})\n`);
      // Already finished (the cancel is refused): quit.
      engine.cancel(runKey, runningStep).catch(quit);
      return;
    }
    quit();
  };
  const quit = () => void closeEngine(engine).finally(() => process.exit(EXIT.stepFailed));
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await engine.registry.loadFile(abs, notebookLoader({ kernel: opts.kernel, cwd }));
    const loadError = engine.registry.errors.find((e) => e.file === abs);
    if (loadError) throw new CliError(loadError.message);
    // A cell given some of its parameters keeps the defaults of the others (a job file's step input is all of its fields).
    for (const step of engine.workflow(plan.id).steps) {
      const input = job.inputs[step.id];
      if (!input) continue;
      for (const [name, field] of Object.entries(step.fields)) if (input[name] === undefined && field.initial !== undefined) input[name] = field.initial;
    }
    try {
      await checkJob(engine, job, { key: opts.key, baseDir: path.dirname(abs) });
    } catch (e) {
      if (!(e instanceof JobFileError)) throw e;
      // "inputs.parameters.n" is the job's word; the person gave parameter "n".
      throw new CliError(e.problems.map((p) => `${p.field.replace(/^inputs\.[^.]+\./, 'parameter ').replace(/^inputs\./, 'cell ')}: ${p.message}`).join('\n'));
    }
    const result = await runJob(engine, job, {
      key: opts.key,
      baseDir: path.dirname(abs),
      alreadyChecked: true,
      observer: {
        onRunOpen: (k) => { runKey = k; },
        onStepStart: (step, i, n) => { runningStep = step.id; progress.onStepStart(step, i, n); },
        onProgress: (e) => {
          // The limit is on the cell's own code: the clock starts once the kernel is up and the cell runs.
          if (timeout !== undefined && timer === undefined && e.step === runningStep && e.progress.message === 'running') {
            const step = e.step;
            timer = setTimeout(() => {
              timedOut = step;
              engine.cancel(runKey!, step).catch(() => { /* finished meanwhile */ });
            }, timeout * 1000);
          }
          progress.onProgress(e);
        },
        onPartial: (step, output) => log?.onPartial(step, output),
        onStepEnd: (step, state) => {
          log?.onStepEnd(step.id, state);
          clearTimeout(timer);
          timer = undefined;
          runningStep = undefined;
          progress.onStepEnd(step, state);
        },
      },
    });
      progress.clear();
    const key = result.state.key;
    if (opts.output !== undefined) await writeExecuted(engine, nb, plan, key, opts.output);
    io.stdout.write(`${key}\n`);
    if (result.failed) {
      const title = engine.registry.get(plan.id)?.steps.find((s) => s.id === result.failed!.step)?.title;
      const cell = cellName(plan, result.failed.step, title);
      const status = result.state.steps[result.failed.step]?.status;
      const why = timedOut === result.failed.step ? `timed out after ${timeout} s`
        : status === 'failed' ? `failed: ${(result.failed.error.split('\n')[0] ?? '').trim()}`
        : `was ${status ?? 'stopped'}`;
      throw new CliError(`${cell} ${why}\nrailbook: run ${key} keeps every cell done before it; resume with: railbook run ${file} --key ${key}`, EXIT.stepFailed);
    }
  } finally {
    clearTimeout(timer);
    progress.clear();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await closeEngine(engine);
  }
}

/** `-o out.ipynb`: the notebook as it ran, also when a cell failed (up to and including that cell). */
async function writeExecuted(engine: Engine, nb: Notebook, plan: NotebookPlan, key: string, output: string): Promise<void> {
  const [{ executedNotebook }, { writeIpynb }] = await Promise.all([import('../../notebooks/executed-notebook.ts'), import('../../notebooks/ipynb-write.ts')]);
  const executed = await executedNotebook(nb, plan, await engine.get(key), (ref) => readFile(engine.store.artifacts.resolve(ref.path)));
  await writeFile(path.resolve(output), writeIpynb(executed));
}
