// Notebooks as the registry reads them: `.ipynb` files and percent scripts (`# %%` / `// %%`) in a
// notebooks folder each become a workflow (engine/registry.ts picks this loader for that folder).
// A broken notebook is one load error naming the file, the cell and the problem; the others load.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkflowLoader } from '../engine/registry.ts';
import type { Workflow } from '../engine/workflow.ts';
import { readIpynb } from './ipynb.ts';
import type { Notebook } from './notebook.ts';
import { notebookWorkflow, type NotebookWorkflowOptions } from './notebook-workflow.ts';
import { PERCENT_EXTENSIONS } from './percent-languages.ts';
import { readPercent } from './percent.ts';
import { planNotebook } from './plan.ts';

/** The repository's own `notebooks/` folder. */
export const BUILTIN_NOTEBOOKS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../notebooks');

/** A notebook file: .ipynb, or a script in a language percent scripts are written in. Not hidden, not `_helper.py`. */
export function isNotebookFile(name: string): boolean {
  if (name.startsWith('.') || name.startsWith('_') || name.endsWith('.d.ts')) return false;
  const ext = path.extname(name).toLowerCase();
  return ext === '.ipynb' || PERCENT_EXTENSIONS.includes(ext) || PERCENT_EXTENSIONS.includes(path.extname(name));
}

/** Reads a notebook of either format. Throws NotebookError (one clear message) for a bad file. */
export function readNotebook(file: string): Promise<Notebook> {
  return path.extname(file).toLowerCase() === '.ipynb' ? readIpynb(file) : readPercent(file);
}

/** Reads, plans and builds a notebook's workflow. */
export async function loadNotebookWorkflow(file: string, opts: NotebookWorkflowOptions = {}): Promise<Workflow> {
  const nb = await readNotebook(path.resolve(file));
  return notebookWorkflow(nb, planNotebook(nb), opts);
}

export function notebookLoader(opts: NotebookWorkflowOptions = {}): WorkflowLoader {
  return {
    kind: 'notebook',
    accepts: isNotebookFile,
    load: (file) => loadNotebookWorkflow(file, opts),
  };
}
