// Notebooks as the registry reads them: `.ipynb` files and percent scripts (`# %%` / `// %%`) in a
// notebooks folder each become a workflow (engine/registry.ts picks this loader for that folder).
// A broken notebook is one load error naming the file, the cell and the problem; the others load.
import path from 'node:path';
import type { WorkflowLoader } from '../engine/registry.ts';
import type { Workflow } from '../engine/workflow.ts';
import { notebookWorkflow, type NotebookWorkflowOptions } from './notebook-workflow.ts';
import { isNotebookFile, readNotebook } from './read-notebook.ts';
import { planNotebook } from './plan.ts';

export { isNotebookFile, readNotebook } from './read-notebook.ts';

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
