import type { RunState } from '../../engine/run-state.ts';
import { summarizeRun } from '../../engine/run-summary.ts';
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
  const { finalized, done, total, attention } = summarizeRun(state, wf);
  const frac = `${done}/${total}`;
  if (finalized) return { kind: 'finalized', label: 'finalized', short: 'finalized', done, total };
  if (attention?.status === 'running') return { kind: 'running', label: `running (${done} of ${total} steps done)`, short: `running · ${frac}`, done, total };
  if (attention) {
    const word = attention.status === 'cancelled' ? 'stopped' : attention.status;
    return { kind: 'failed', label: `${word} (${done} of ${total} steps done)`, short: `${word} · ${frac}`, done, total };
  }
  if (done === total) return { kind: 'complete', label: `all ${total} steps done`, short: 'all done', done, total };
  return { kind: 'open', label: `${done} of ${total} steps done`, short: `${frac} done`, done, total };
}
