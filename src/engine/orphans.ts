import type { Store, StoreTx } from '../store/store.ts';
import { now } from './clock.ts';
import type { RunState } from './run-state.ts';
import type { StepExecutor } from './step-executor.ts';

/**
 * Steps that say "running" but whose executor is gone — a killed or crashed process, a zombie, a
 * restart of this very process, or (on PostgreSQL) a worker whose lease ran out — found and
 * recorded as interrupted, so they can run again.
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
  async orphaned(st: RunState, stepId: string, tx: StoreTx | Store = this.store): Promise<boolean> {
    if (st.steps[stepId]?.status !== 'running') return false;
    const ex = await tx.executions.get(st.key, stepId);
    if (!ex) return true;
    if (ex.owner === this.owner) return !this.executor.isRunning(st.key, stepId);
    return (ex.pid === process.pid && this.store.backend === 'sqlite') || !tx.executions.alive(ex);
  }

  /** Whether any running step of the run is orphaned (a cheap read, outside a transaction). */
  async any(st: RunState): Promise<boolean> {
    for (const id of Object.keys(st.steps)) if (await this.orphaned(st, id)) return true;
    return false;
  }

  /** Inside a transaction: running steps whose executor is gone become interrupted. */
  async reap(tx: StoreTx, st: RunState): Promise<RunState> {
    let changed = false;
    for (const [stepId, s] of Object.entries(st.steps)) {
      if (!(await this.orphaned(st, stepId, tx))) continue;
      const ex = await tx.executions.get(st.key, stepId);
      const t = now();
      st.steps[stepId] = { ...s, status: 'interrupted', finishedAt: t, error: 'the process running this step stopped before it finished' };
      if (ex) await tx.executions.release(st.key, stepId);
      await tx.events.append(st.key, t, 'interrupted', stepId, ex ? { pid: ex.pid, ...(ex.worker && this.store.backend === 'postgres' ? { worker: ex.worker } : {}) } : undefined);
      st.updated = t;
      changed = true;
    }
    if (changed) {
      await tx.runs.update(st);
      queueMicrotask(() => this.changed(st.key));
    }
    return st;
  }

  /** Records a step of this process as interrupted (a graceful stop), in its own transaction. */
  async interrupt(key: string, stepId: string, why: string): Promise<void> {
    await this.store.tx(async (tx) => {
      const st = await tx.runs.lock(key);
      const s = st?.steps[stepId];
      if (!st || !s || s.status !== 'running') return;
      const t = now();
      st.steps[stepId] = { ...s, status: 'interrupted', finishedAt: t, error: why };
      st.updated = t;
      await tx.runs.update(st);
      await tx.executions.release(key, stepId);
      await tx.events.append(key, t, 'interrupted', stepId);
    });
  }

  /**
   * At start-up: every run with a step that says running, or an execution row, is read once (which
   * marks a dead owner's steps interrupted); rows of runs deleted meanwhile are dropped.
   */
  async recoverAll(get: (key: string) => Promise<RunState>): Promise<void> {
    const keys = new Set((await this.store.executions.all()).map((e) => e.run));
    for (const st of await this.store.runs.withStatus('running')) keys.add(st.key);
    for (const key of keys) {
      if (await this.store.runs.exists(key)) {
        await get(key);
        continue;
      }
      // Rows of a run deleted meanwhile: nobody will record their outcome.
      await this.store.tx(async (tx) => {
        for (const e of await tx.executions.all()) if (e.run === key && !tx.executions.alive(e)) await tx.executions.release(key, e.step);
      });
    }
  }
}
