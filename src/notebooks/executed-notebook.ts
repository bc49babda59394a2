// A notebook run written back as the notebook it ran: what `railbook run nb.ipynb -o out.ipynb`
// and `railbook export <key> --ipynb` write. Every cell of the notebook in order; each code cell
// with the code as it ran, its outputs (artifacts read back inline) and execution count; after each
// parameters cell papermill's `injected-parameters` cell; per-cell timing where nbclient and
// papermill keep it. Cells the run never reached are left with no outputs, as papermill leaves
// them. Serialize the result with ipynb-write.ts.
import type { RunState, StepState } from '../engine/run-state.ts';
import type { ArtifactRef } from '../store/artifact-ref.ts';
import { isCellOutput, type CellOutput } from './cell-output.ts';
import type { Notebook, NotebookCell } from './notebook.ts';
import { inlineOutputs } from './outputs/store-outputs.ts';
import type { PlannedStep } from './plan.ts';

/** What the builder needs of a plan: which cell each step is. */
export interface ExecutedPlan {
  steps: Pick<PlannedStep, 'id' | 'cell' | 'kind'>[];
}

export const INJECTED_TAG = 'injected-parameters';

/**
 * The executed notebook of `state`, a run of the workflow planned from `nb`. `read` gives an
 * artifact's bytes (the run's store). The notebook passed in is not changed.
 */
export async function executedNotebook(
  nb: Notebook,
  plan: ExecutedPlan,
  state: RunState,
  read: (ref: ArtifactRef) => Promise<Buffer>,
): Promise<Notebook> {
  const stepOf = new Map(plan.steps.map((s) => [s.cell, s]));
  const cells: NotebookCell[] = [];
  const parameters: Record<string, unknown> = {};
  for (const cell of nb.cells) {
    if (cell.type !== 'code') {
      cells.push({ ...cell, index: cells.length });
      continue;
    }
    // An earlier papermill run's injected cell: this run's own takes its place.
    if (cell.tags.includes(INJECTED_TAG)) continue;
    const step = stepOf.get(cell.index);
    const s = step ? state.steps[step.id] : undefined;
    const out = isCellOutput(s?.output) ? s.output : undefined;
    cells.push(await codeCell(cell, cells.length, s, out, read));
    if (step?.kind === 'parameters' && out) {
      Object.assign(parameters, out.values ?? {});
      const injected = out.code[1];
      if (injected !== undefined) cells.push(injectedCell(injected, cells.length));
    }
  }
  const railbook = { run: state.key, workflow: state.workflow, profile: state.profile, parameters };
  return { ...nb, nbformat: { major: 4, minor: 5 }, metadata: { ...nb.metadata, railbook }, cells };
}

async function codeCell(
  cell: NotebookCell,
  index: number,
  s: StepState | undefined,
  out: CellOutput | undefined,
  read: (ref: ArtifactRef) => Promise<Buffer>,
): Promise<NotebookCell> {
  const metadata: Record<string, unknown> = { ...cell.metadata };
  // Timing from an earlier execution describes another run: this run's replaces it, or none.
  delete metadata.execution;
  delete metadata.papermill;
  const ran = out !== undefined && out.status !== 'skipped';
  const startedAt = out?.startedAt ?? s?.startedAt ?? undefined;
  const finishedAt = out?.finishedAt ?? (s && s.status !== 'running' ? s.finishedAt : undefined) ?? undefined;
  if (ran && startedAt && finishedAt) {
    metadata.execution = { 'iopub.execute_input': startedAt, 'shell.execute_reply': finishedAt };
  }
  metadata.papermill = papermillRecord(s, out, startedAt, finishedAt);
  return {
    ...cell,
    index,
    // The code as it ran (the file may have changed since); the file's own when it did not run.
    source: out?.code[0] ?? cell.source,
    metadata,
    outputs: ran ? ((await inlineOutputs(out.outputs, read)) as unknown as Record<string, unknown>[]) : [],
    executionCount: ran ? out.executionCount : null,
  };
}

/** papermill's per-cell record: status pending / running / completed / failed, times in ISO, duration in seconds. */
function papermillRecord(s: StepState | undefined, out: CellOutput | undefined, start: string | undefined, end: string | undefined): Record<string, unknown> {
  const status = s?.status;
  const failed = status === 'failed' || status === 'cancelled' || status === 'interrupted';
  const done = status === 'done';
  const duration = out?.durationMs !== undefined ? out.durationMs / 1000
    : start && end && (done || failed) ? (Date.parse(end) - Date.parse(start)) / 1000 : null;
  return {
    start_time: done || failed || status === 'running' ? (start ?? null) : null,
    end_time: done || failed ? (end ?? null) : null,
    duration: done || failed ? duration : null,
    status: done ? 'completed' : failed ? 'failed' : status === 'running' ? 'running' : 'pending',
    exception: done ? false : failed ? true : null,
  };
}

function injectedCell(code: string, index: number): NotebookCell {
  return {
    type: 'code',
    source: code,
    id: INJECTED_TAG,
    tags: [INJECTED_TAG],
    metadata: { tags: [INJECTED_TAG] },
    outputs: [],
    executionCount: null,
    index,
  };
}
