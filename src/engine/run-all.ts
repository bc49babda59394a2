// "Run all remaining steps": a 30-cell notebook is not 30 clicks. Submits the run's open steps in
// order, each once the one before is done, and stops at the first step that needs input (it has
// fields: a form the person should see), at the first that does not end done (failed, stopped),
// or at the end. It runs in the background of the process, like any step; Stop on the running
// step ends it too, since that step then does not end done.
import type { Engine } from './engine.ts';
import { EngineError } from './errors.ts';
import type { RunState } from './run-state.ts';

export interface RunAllResult {
  state: RunState;
  /** Why it stopped: every step done, a step that asks for input, or a step that did not end done. */
  stopped: { reason: 'complete' } | { reason: 'needs_input'; step: string } | { reason: 'not_done'; step: string; status: string };
}

export async function runAllSteps(engine: Engine, key: string): Promise<RunAllResult> {
  for (;;) {
    let state = await engine.get(key);
    const wf = engine.workflow(state.workflow);
    const next = wf.steps.find((s) => state.steps[s.id]?.status !== 'done');
    if (!next) return { state, stopped: { reason: 'complete' } };
    if (Object.keys(next.fields).length > 0) return { state, stopped: { reason: 'needs_input', step: next.id } };
    if (state.steps[next.id]?.status === 'running') throw new EngineError('running', `step "${next.id}" is already running`);
    const { completion } = await engine.submit(key, next.id, engine.formValues(state, next.id));
    state = await completion;
    const status = state.steps[next.id]?.status ?? 'pending';
    if (status !== 'done') return { state, stopped: { reason: 'not_done', step: next.id, status } };
  }
}
