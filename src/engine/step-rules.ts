// The rules a submit must pass, and what a submit keeps from before — pure functions of the run's
// state and the workflow, checked once before the (slow, async) preparing of the input and again
// inside the write lock, where they decide.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { EngineError } from './errors.ts';
import type { RunState } from './run-state.ts';
import type { AnyStep, Workflow } from './workflow.ts';

/** Throws the EngineError a person can act on when `stepId` cannot be submitted now. */
export function checkSubmittable(st: RunState, wf: Workflow, stepId: string): void {
  if (st.finalized) throw new EngineError('finalized', `run "${st.key}" is finalized; unfinalize it to change it`);
  for (const s of wf.steps) {
    if (s.id === stepId) break;
    if (st.steps[s.id]?.status !== 'done') {
      throw new EngineError('out_of_order', `step "${stepId}" cannot run before step "${s.id}" is done`);
    }
  }
  // Only the state counts: a step just cancelled may still be winding down in memory; its
  // late result is discarded (its execution id no longer owns the row), so a re-run need not wait.
  const status = st.steps[stepId]?.status;
  if (status === 'running') {
    throw new EngineError('running', `step "${stepId}" is already running`);
  }
  if (status === 'done') throw new EngineError('already_done', `step "${stepId}" is already done; revert to it to change it`);
}

/**
 * The submitted values, with each `keepWhenEmpty` field left empty filled from the step's previous
 * input (a file chosen before a revert need not be chosen again). The kept value comes from the
 * run's state, never from the client.
 */
export function withKeptValues(step: AnyStep, raw: Record<string, unknown>, previous: Record<string, unknown> | null | undefined): Record<string, unknown> {
  if (!previous) return raw;
  const out = { ...raw };
  for (const [name, w] of Object.entries(step.fields)) {
    if (w.keepWhenEmpty && isEmpty(out[name]) && previous[name] !== undefined) out[name] = previous[name];
  }
  return out;
}

/**
 * A submit refused after its uploads were stored: those files are nobody's — unless the run's
 * state (read now) refers to one, because a concurrent submit of the same content claimed it.
 */
export function discardUnclaimed(dataDir: string, current: RunState | undefined, stored: readonly string[]): void {
  if (stored.length === 0) return;
  const text = JSON.stringify(current ?? {});
  for (const f of stored) {
    const rel = path.relative(dataDir, f).split(path.sep).join('/');
    if (!text.includes(JSON.stringify(rel))) rmSync(f, { force: true });
  }
}

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || v === '';
}
