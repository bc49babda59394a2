import type { Engine } from '../../engine/engine.ts';
import type { ArchivedFilter } from '../../store/run-repo.ts';
import type { QueuedRun } from '../../store/run-queue.ts';
import { runStatus, type RunStatus } from '../views/run-status.ts';
import type { RunRow } from '../views/runs-table.tsx';

/** The latest runs (of one workflow, or all), with a status line each; archived ones only when asked. */
export async function runRows(engine: Engine, opts: { workflow?: string; limit: number; archived?: ArchivedFilter }): Promise<RunRow[]> {
  const listed = await engine.listRuns({ workflow: opts.workflow, limit: opts.limit, archived: opts.archived ?? 'hide' });
  // Marks steps of a dead process as interrupted on the way; a run deleted meanwhile is left out.
  const states = await Promise.all(listed.map((r) => engine.get(r.key).catch(() => undefined)));
  const queued = engine.store.backend === 'postgres' ? await engine.store.queue.many(listed.map((r) => r.key)) : new Map<string, QueuedRun>();
  const rows: RunRow[] = [];
  for (const [i, r] of listed.entries()) {
    const wf = engine.registry.get(r.workflow);
    const state = states[i];
    if (!state) continue;
    rows.push({
      key: r.key,
      workflow: r.workflow,
      workflowTitle: wf?.title ?? `${r.workflow} (not loaded)`,
      profile: r.profile,
      updated: state.updated,
      status: withQueue(runStatus(state, wf), queued.get(r.key)),
      archived: state.archived ?? null,
    });
  }
  return rows;
}

/** While a worker has the say (queued, running) or gave up (failed for good), the list says so. */
function withQueue(st: RunStatus, q: QueuedRun | undefined): RunStatus {
  if (!q || q.status === 'done' || st.kind === 'finalized') return st;
  if (q.status === 'queued') return { ...st, kind: 'open', label: `queued (${st.done} of ${st.total} steps done)`, short: `queued · ${st.done}/${st.total}` };
  if (q.status === 'running') return { ...st, kind: 'running', label: `running on ${q.worker ?? 'a worker'} (${st.done} of ${st.total} steps done)`, short: `worker · ${st.done}/${st.total}` };
  return { ...st, kind: 'failed', label: `failed on a worker after ${q.attempts} attempt${q.attempts === 1 ? '' : 's'} (${st.done} of ${st.total} steps done)`, short: `failed · ${st.done}/${st.total}` };
}
