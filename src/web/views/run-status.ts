import type { RunState } from '../../engine/run-state.ts';
import type { Workflow } from '../../engine/workflow.ts';

export type RunStatusKind = 'finalized' | 'running' | 'failed' | 'complete' | 'open';

export interface RunStatus {
  kind: RunStatusKind;
  label: string;
  done: number;
  total: number;
}

/** One line a person can scan in a list of runs: "2 of 3 steps done", "running", "failed", "finalized". */
export function runStatus(state: RunState, wf: Workflow | undefined): RunStatus {
  const ids = wf ? wf.steps.map((s) => s.id) : Object.keys(state.steps);
  const total = ids.length;
  const done = ids.filter((id) => state.steps[id]?.status === 'done').length;
  const statuses = ids.map((id) => state.steps[id]?.status);
  if (state.finalized) return { kind: 'finalized', label: 'finalized', done, total };
  if (statuses.includes('running')) return { kind: 'running', label: `running (${done} of ${total} steps done)`, done, total };
  const bad = statuses.find((s) => s === 'failed' || s === 'interrupted' || s === 'cancelled');
  const word = bad === 'cancelled' ? 'stopped' : bad;
  if (bad) return { kind: 'failed', label: `${word} (${done} of ${total} steps done)`, done, total };
  if (done === total) return { kind: 'complete', label: `all ${total} steps done`, done, total };
  return { kind: 'open', label: `${done} of ${total} steps done`, done, total };
}
