import type { Engine } from '../../engine/engine.ts';
import { runStatus } from '../views/run-status.ts';
import type { RunRow } from '../views/runs-table.tsx';

/** The latest runs (of one workflow, or all), with a status line each. */
export function runRows(engine: Engine, opts: { workflow?: string; limit: number }): RunRow[] {
  const rows: RunRow[] = [];
  for (const r of engine.store.runs.list({ workflow: opts.workflow, limit: opts.limit })) {
    const wf = engine.registry.get(r.workflow);
    let state;
    try {
      state = engine.get(r.key); // marks steps of a dead process as interrupted on the way
    } catch {
      continue;
    }
    rows.push({
      key: r.key,
      workflow: r.workflow,
      workflowTitle: wf?.title ?? `${r.workflow} (not loaded)`,
      profile: r.profile,
      updated: state.updated,
      status: runStatus(state, wf),
    });
  }
  return rows;
}
