import type { Engine } from '../../engine/engine.ts';
import type { ArchivedFilter } from '../../store/run-repo.ts';
import { runStatus } from '../views/run-status.ts';
import type { RunRow } from '../views/runs-table.tsx';

/** The latest runs (of one workflow, or all), with a status line each; archived ones only when asked. */
export function runRows(engine: Engine, opts: { workflow?: string; limit: number; archived?: ArchivedFilter }): RunRow[] {
  const rows: RunRow[] = [];
  for (const r of engine.listRuns({ workflow: opts.workflow, limit: opts.limit, archived: opts.archived ?? 'hide' })) {
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
      archived: state.archived ?? null,
    });
  }
  return rows;
}
