import type { RunState } from '../../engine/run-state.ts';
import type { Workflow } from '../../engine/workflow.ts';

export type RunStatusKind = 'finalized' | 'running' | 'failed' | 'complete' | 'open';

export interface RunStatus {
  kind: RunStatusKind;
  label: string;
  /** The same in a few characters, for narrow tables: "2/3 done", "failed · 1/3". */
  short: string;
  done: number;
  total: number;
}

/** One line a person can scan in a list of runs: "2 of 3 steps done", "running", "failed", "finalized". */
export function runStatus(state: RunState, wf: Workflow | undefined): RunStatus {
  const ids = wf ? wf.steps.map((s) => s.id) : Object.keys(state.steps);
  const total = ids.length;
  const done = ids.filter((id) => state.steps[id]?.status === 'done').length;
  const statuses = ids.map((id) => state.steps[id]?.status);
  const frac = `${done}/${total}`;
  if (state.finalized) return { kind: 'finalized', label: 'finalized', short: 'finalized', done, total };
  if (statuses.includes('running')) return { kind: 'running', label: `running (${done} of ${total} steps done)`, short: `running · ${frac}`, done, total };
  const bad = statuses.find((s) => s === 'failed' || s === 'interrupted' || s === 'cancelled');
  const word = bad === 'cancelled' ? 'stopped' : bad;
  if (bad) return { kind: 'failed', label: `${word} (${done} of ${total} steps done)`, short: `${word} · ${frac}`, done, total };
  if (done === total) return { kind: 'complete', label: `all ${total} steps done`, short: 'all done', done, total };
  return { kind: 'open', label: `${done} of ${total} steps done`, short: `${frac} done`, done, total };
}
