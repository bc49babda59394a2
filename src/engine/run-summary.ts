import type { RunState, StepStatus } from './run-state.ts';
import type { Workflow } from './workflow.ts';

/** Where a run stands, for lists of runs (the web app's tables, `railbook runs`). */
export interface RunSummaryFacts {
  finalized: boolean;
  /** Steps done, of the workflow's steps (of the state's own, if the workflow is not loaded). */
  done: number;
  total: number;
  /** The step that needs a look: running, or ended without finishing. */
  attention?: { step: string; status: Extract<StepStatus, 'running' | 'failed' | 'cancelled' | 'interrupted'> } | undefined;
}

export function summarizeRun(state: RunState, wf: Workflow | undefined): RunSummaryFacts {
  const order = wf ? wf.steps.map((s) => s.id) : Object.keys(state.steps);
  const done = order.filter((id) => state.steps[id]?.status === 'done').length;
  let attention: RunSummaryFacts['attention'];
  for (const id of order) {
    const status = state.steps[id]?.status;
    if (status === 'running' || status === 'failed' || status === 'cancelled' || status === 'interrupted') {
      attention = { step: id, status };
      break;
    }
  }
  return { finalized: state.finalized !== null, done, total: order.length, attention };
}
