import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { Engine } from '../../engine/engine.ts';
import type { RunState } from '../../engine/run-state.ts';
import type { Notebook } from '../../notebooks/notebook.ts';
import type { ExecutedPlan } from '../../notebooks/executed-notebook.ts';
import { CliError } from '../exit-codes.ts';
import { withEngine, withGlobalOptions, type GlobalOptions } from '../context.ts';

interface Options extends GlobalOptions {
  ipynb?: boolean;
  output?: string;
}

export function exportCommand(program: Command): void {
  const cmd = program
    .command('export')
    .argument('<key>', 'run key, e.g. default-hello-01')
    .description('print a run\'s job file (its workflow, key, profile and the input of every done step) as JSON, or with --ipynb a notebook run as the executed notebook')
    .option('--ipynb', 'a notebook run: write the notebook as it ran (outputs, execution counts, injected parameters), like papermill\'s output')
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .addHelpText('after', `
Uploaded files appear as absolute paths to their copies in the data folder, so the job file
can be replayed on this machine as it is.

With --ipynb the notebook file the run came from is read again for its markdown and raw cells;
if it is gone, the run's own code is exported (code cells only) and stderr says so.

Examples:
  railbook export default-hello-01 > job.json
  railbook run job.json --key hello-again     replays it as a new run
  railbook export default-report-03 --ipynb -o report-03.ipynb`)
    .action(async (key: string, opts: Options) => {
      await withEngine(opts, async (engine) => {
        let text: string;
        if (opts.ipynb) {
          text = await exportIpynb(engine, key);
        } else {
          const { exportJob } = await import('../../engine/job-file.ts');
          text = JSON.stringify(await exportJob(engine, key), null, 2) + '\n';
        }
        if (opts.output !== undefined) await writeFile(path.resolve(opts.output), text);
        else process.stdout.write(text);
      });
    });
  withGlobalOptions(cmd);
}

/**
 * A notebook run as .ipynb text. The notebook file is the one the run ran (`railbook run` records
 * it), else its workflow's origin; the file is read again for the cells that are not code.
 */
export async function exportIpynb(engine: Engine, key: string): Promise<string> {
  const [{ readNotebook }, { planNotebook }, { executedNotebook }, { writeIpynb }, { readFile }] = await Promise.all([
    import('../../notebooks/notebook-loader.ts'),
    import('../../notebooks/plan.ts'),
    import('../../notebooks/executed-notebook.ts'),
    import('../../notebooks/ipynb-write.ts'),
    import('node:fs/promises'),
  ]);
  const state = await engine.get(key);
  const wf = engine.registry.get(state.workflow);
  // The run remembers the notebook it came from (it may have been run from anywhere on disk).
  const file = state.origin?.file ?? (wf?.origin?.kind === 'notebook' ? wf.origin.file : undefined);
  const { isCellOutput } = await import('../../notebooks/cell-output.ts');
  const ranCells = Object.values(state.steps).some((s) => isCellOutput(s.output));
  if (file === undefined && (wf || !ranCells)) {
    throw new CliError(`run ${state.key} is a run of workflow ${state.workflow}, which is not a notebook`);
  }
  const read = (ref: { path: string }) => readFile(engine.store.artifacts.resolve(ref.path));
  let nb: Notebook | undefined;
  if (file !== undefined) {
    try {
      nb = await readNotebook(file);
    } catch (e) {
      const why = (e as { problem?: unknown }).problem ?? (e as Error).message;
      process.stderr.write(`railbook: the notebook ${file} cannot be read (${String(why)}): exporting the run's own code, code cells only\n`);
    }
  } else {
    process.stderr.write(`railbook: the notebook of run ${state.key} is not known here: exporting the run's own code, code cells only\n`);
  }
  const executed = nb ? await executedNotebook(nb, planNotebook(nb), state, read) : await executedNotebook(...codeOnly(state, file ?? state.workflow), state, read);
  return writeIpynb(executed);
}

/** Without the notebook file: a notebook of the run's code cells, in step order, as they ran. */
function codeOnly(state: RunState, file: string): [Notebook, ExecutedPlan] {
  const nb: Notebook = { file, format: 'ipynb', nbformat: { major: 4, minor: 5 }, kernel: {}, metadata: {}, cells: [] };
  const plan: ExecutedPlan = { steps: [] };
  for (const [id, s] of Object.entries(state.steps)) {
    const out = s.output as { notebookCell?: unknown; kind?: 'code' | 'parameters'; code?: string[] } | null;
    if (out?.notebookCell !== true || !Array.isArray(out.code)) continue;
    const index = nb.cells.length;
    const kind = out.kind === 'parameters' ? 'parameters' : 'code';
    nb.cells.push({ type: 'code', id, source: out.code[0] ?? '', tags: kind === 'parameters' ? ['parameters'] : [], metadata: {}, outputs: [], executionCount: null, index });
    plan.steps.push({ id, cell: index, kind });
  }
  return [nb, plan];
}
