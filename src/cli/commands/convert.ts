import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { BUILTIN_NOTEBOOKS_DIR, displayPath, loadRegistry, notebookDirs, withGlobalOptions, workflowDirs, type GlobalOptions } from '../context.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { ensureEsmFolder, importPath } from './new.ts';

interface Options extends GlobalOptions {
  output?: string;
  kernel?: string;
  cwd?: string;
  force?: boolean;
}

const SRC_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function convertCommand(program: Command): void {
  const cmd = program
    .command('convert')
    .argument('<notebook>', 'a notebook: .ipynb or a percent script (.py, .R, .jl, .ts, … with # %% cells)')
    .description('write a notebook as a TypeScript workflow file (workflows/<id>.ts) that runs exactly like it, to edit and extend')
    .option('-o, --output <file>', 'where to write it: a .ts file, or - for stdout (default: <first workflows folder>/<id>.ts)')
    .option('--kernel <name>', 'run in this kernelspec (or typescript/javascript) instead of the one the notebook names')
    .option('--cwd <dir>', 'the folder the cells run in (default: the notebook\'s folder), found from the file\'s own folder')
    .option('-f, --force', 'overwrite the file if it exists')
    .addHelpText('after', `
Each code cell becomes a step that runs it in the notebook's kernel, each markdown cell the docs
of the step after it, and a \`parameters\` cell a form with one widget per parameter, written out
so you can change it. The file keeps the notebook's id: load one or the other, not both.

Examples:
  railbook convert notebooks/report.ipynb                   writes workflows/report.ts
  railbook convert analysis.py -o my-workflows/analysis.ts
  railbook convert report.ipynb -o - | less                 print it instead`)
    .action(async (notebook: string, opts: Options) => {
      const file = await convertToFile(notebook, opts);
      if (file) {
        process.stdout.write(`Wrote ${displayPath(file)}\n`);
        process.stderr.write('Next: edit it, then `railbook serve` and pick it in the workflow menu, or `railbook run` a job file for it.\n');
      }
    });
  withGlobalOptions(cmd);
}

/** Converts the notebook and writes the file (or prints it for `-o -`); returns the file written. */
async function convertToFile(notebook: string, opts: Options): Promise<string | undefined> {
  const [{ readNotebook }, { NotebookError }, { planNotebook }, { convertNotebook }, { BUILTIN_WORKFLOWS_DIR, moduleLoader }] = await Promise.all([
    import('../../notebooks/notebook-loader.ts'),
    import('../../notebooks/notebook.ts'),
    import('../../notebooks/plan.ts'),
    import('../../notebooks/convert.ts'),
    import('../../engine/registry.ts'),
  ]);
  let nb;
  try {
    nb = await readNotebook(path.resolve(notebook));
  } catch (e) {
    if (e instanceof NotebookError) throw new CliError(e.message);
    throw e;
  }
  const plan = planNotebook(nb);
  const dirs = workflowDirs(opts.workflowsDir, BUILTIN_WORKFLOWS_DIR);
  const toStdout = opts.output === '-';
  const out = toStdout ? undefined : path.resolve(opts.output ?? path.join(dirs[0]!, `${plan.id}.ts`));
  if (out && !out.endsWith('.ts')) throw new CliError(`${opts.output}: a workflow file must end in .ts`);
  // Printed, it is most likely saved in the first workflows folder: paths in it are written from there.
  const outDir = out ? path.dirname(out) : dirs[0]!;
  const cwd = path.resolve(opts.cwd ?? path.dirname(nb.file));
  const source = convertNotebook(nb, plan, {
    importBase: importPath(outDir, SRC_DIR),
    kernel: opts.kernel,
    cwd: relativeFrom(outDir, cwd),
    source: relativeFrom(outDir, nb.file),
  });
  if (!out) {
    process.stdout.write(source);
    return undefined;
  }

  const exists = existsSync(out);
  if (exists && !opts.force) throw new CliError(`${out} already exists; add --force to overwrite it`);
  if (!exists) await refuseTakenId(plan.id, dirs);
  await mkdir(outDir, { recursive: true });
  await ensureEsmFolder(outDir);
  await writeFile(out, source, 'utf8');
  // The file is meant to load as written: say so now rather than at the next `serve`. It stays
  // on disk either way, so a failure can be looked at.
  try {
    const wf = await moduleLoader.load(out, `?v=${Date.now()}`);
    if (wf.id !== plan.id || wf.steps.length !== plan.steps.length) throw new Error(`it loads as "${wf.id}" with ${wf.steps.length} steps, not "${plan.id}" with ${plan.steps.length}`);
  } catch (e) {
    throw new CliError(`wrote ${out}, but it does not load: ${(e as Error).message}`, EXIT.unexpected);
  }
  warnBothLoaded(plan.id, nb.file, out, dirs, opts);
  return out;
}

/** A path as written in the generated file: relative to its folder, with forward slashes. */
function relativeFrom(dir: string, target: string): string {
  const rel = path.relative(dir, target);
  if (path.isAbsolute(rel)) return target; // another drive (Windows)
  return rel === '' ? '.' : rel.split(path.sep).join('/');
}

/** Another workflow file already using the id would make one of the two fail to load. */
async function refuseTakenId(id: string, dirs: string[]): Promise<void> {
  const registry = await loadRegistry(dirs.filter((d) => existsSync(d)));
  if (registry.get(id)) {
    throw new CliError(`a workflow with the id "${id}" already exists in another file; move or delete it first, or write this one elsewhere with -o`);
  }
}

/** The notebook, in a notebooks folder Railbook reads, and its conversion would both claim the id. */
function warnBothLoaded(id: string, notebookFile: string, out: string, workflowDirs: string[], opts: Options): void {
  const notebooks = notebookDirs(opts.notebooksDir, BUILTIN_NOTEBOOKS_DIR);
  if (!notebooks.includes(path.dirname(notebookFile)) || !workflowDirs.includes(path.dirname(out))) return;
  process.stderr.write(
    `railbook: note: ${displayPath(notebookFile)} is loaded too, with the same id "${id}": Railbook keeps ${displayPath(out)} and ` +
      'reports the notebook as not loaded. Move the notebook out of the notebooks folder, or change the id in the new file.\n',
  );
}
