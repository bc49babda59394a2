import type { Store } from '../store/store.ts';
import { ownerAlive } from '../store/executions.ts';
import { now } from './clock.ts';
import type { RunState } from './run-state.ts';
import type { StepExecutor } from './step-executor.ts';

/**
 * Steps that say "running" but whose executing process is gone — killed, crashed, a zombie, or a
 * restart of this very process — found and recorded as interrupted, so they can run again.
 */
export class Orphans {
  constructor(
    private readonly store: Store,
    private readonly executor: StepExecutor,
    /** This process's owner id (see Engine.owner). */
    private readonly owner: string,
    private readonly changed: (key: string) => void,
  ) {}

  /** A step that says it is running, but whose executing process is gone (or never registered it). */
  orphaned(st: RunState, stepId: string): boolean {
    if (st.steps[stepId]?.status !== 'running') return false;
    const ex = this.store.executions.get(st.key, stepId);
    if (!ex) return true;
    if (ex.owner === this.owner) return !this.executor.isRunning(st.key, stepId);
    return ex.pid === process.pid || !ownerAlive(ex);
  }

  /** Inside a transaction: running steps whose executor is gone become interrupted. */
  reap(st: RunState): RunState {
    let changed = false;
    for (const [stepId, s] of Object.entries(st.steps)) {
      if (!this.orphaned(st, stepId)) continue;
      const ex = this.store.executions.get(st.key, stepId);
      const t = now();
      st.steps[stepId] = { ...s, status: 'interrupted', finishedAt: t, error: 'the process running this step stopped before it finished' };
      if (ex) this.store.executions.release(st.key, stepId);
      this.store.events.append(st.key, t, 'interrupted', stepId, ex ? { pid: ex.pid } : undefined);
      st.updated = t;
      changed = true;
    }
    if (changed) {
      this.store.runs.update(st);
      queueMicrotask(() => this.changed(st.key));
    }
    return st;
  }

  /** Records a step of this process as interrupted (a graceful stop), in its own transaction. */
  interrupt(key: string, stepId: string, why: string): void {
    this.store.tx(() => {
      const st = this.store.runs.get(key);
      const s = st?.steps[stepId];
      if (!st || !s || s.status !== 'running') return;
      const t = now();
      st.steps[stepId] = { ...s, status: 'interrupted', finishedAt: t, error: why };
      st.updated = t;
      this.store.runs.update(st);
      this.store.executions.release(key, stepId);
      this.store.events.append(key, t, 'interrupted', stepId);
    });
  }
}
