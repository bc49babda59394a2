import type { EventEmitter } from 'node:events';
import type { Store } from '../store/store.ts';
import { now } from './clock.ts';
import type { EngineEvents } from './engine.ts';
import { EngineError, StepFailure } from './errors.ts';
import { LeaseHeartbeat } from './lease-heartbeat.ts';
import type { RunResources } from './run-resources.ts';
import type { RunState, StepState } from './run-state.ts';
import type { AnyStep, ModelComment, OtherRun, Progress, StepAi, StepAiContext, StepPlace } from './workflow.ts';
import { validateRunKey } from './run-key.ts';

/** Outputs larger than this belong in an artifact file, not in the state JSON. */
export const MAX_OUTPUT_JSON_BYTES = 1_000_000;
const PROGRESS_WRITE_INTERVAL_MS = 500;
/** Live output reaches watchers at most this often: a cell printing in a tight loop must not flood the page. */
export const PARTIAL_INTERVAL_MS = 100;

interface ActiveStep {
  /** The id of this execution's row in `executions`: only the row's owner records an outcome. */
  execId: string;
  controller: AbortController;
  progress: Progress;
  lastWrite: number;
  /** The step's output so far (ctx.partial), and whether watchers have seen the newest. */
  partial?: unknown;
  partialSent: boolean;
  partialTimer?: NodeJS.Timeout | undefined;
}

type Outcome = Pick<StepState, 'status' | 'output' | 'error'>;

/**
 * Runs steps' work in the background of this process, detached from whoever asked (an HTTP
 * request, the CLI). Knows which steps it is running, reports their progress, and records each
 * outcome in one transaction — unless the step was cancelled, reverted or re-run meanwhile, in
 * which case the late result is dropped.
 */
export class StepExecutor {
  private readonly active = new Map<string, ActiveStep>();

  constructor(
    private readonly store: Store,
    private readonly bus: EventEmitter<EngineEvents>,
    private readonly resources: RunResources,
    owner: string,
    leaseMs: number,
    private readonly ai: StepAi = NO_AI,
  ) {
    this.heartbeat = new LeaseHeartbeat(store, owner, leaseMs, () => this.running(), (run, step) => this.stopLost(run, step));
  }

  /** Beats while steps execute here, so their leases (PostgreSQL) hold. */
  readonly heartbeat: LeaseHeartbeat;

  /** A step whose lease was lost: stop it; its late result is dropped (the row is not ours any more). */
  private stopLost(key: string, stepId: string): void {
    const a = this.active.get(activeId(key, stepId));
    if (a && !a.controller.signal.aborted) a.controller.abort(new Error('this worker lost its lease on the step (the database was out of reach); another may run it'));
  }

  isRunning(key: string, stepId: string): boolean {
    return this.active.has(activeId(key, stepId));
  }

  progress(key: string, stepId: string): Progress | undefined {
    return this.active.get(activeId(key, stepId))?.progress;
  }

  /** The output so far of a step running here (undefined if it has reported none). */
  partial(key: string, stepId: string): unknown {
    return this.active.get(activeId(key, stepId))?.partial;
  }

  /** Every (run key, step id) executing here now. */
  running(): [string, string][] {
    return [...this.active.keys()].map((id) => id.split('\u0000') as [string, string]);
  }

  /** Aborts the step's signal; its code is expected to notice and stop. */
  stop(key: string, stepId: string): void {
    const a = this.active.get(activeId(key, stepId));
    if (a && !a.controller.signal.aborted) a.controller.abort(new Error('cancelled'));
  }

  /** Starts `step.run`; the promise resolves with the state once the outcome is recorded. Never rejects. */
  execute(state: RunState, step: AnyStep, input: Record<string, unknown>, outputs: Record<string, unknown>, execId: string): Promise<RunState> {
    const key = state.key;
    const id = activeId(key, step.id);
    const active: ActiveStep = { execId, controller: new AbortController(), progress: { done: 0 }, lastWrite: 0, partialSent: true };
    this.active.set(id, active);
    this.heartbeat.start();
    const artifacts = this.store.artifacts;
    const run = step.run!;
    return (async () => {
      let outcome: Outcome;
      try {
        const out = await run({
          input,
          outputs,
          runKey: key,
          profile: state.profile,
          signal: active.controller.signal,
          progress: (p) => this.reportProgress(key, step.id, active, p),
          artifacts: {
            write: (name, data, mime) => artifacts.writeBytes(key, name, data, mime),
            resolve: (ref) => artifacts.resolve(ref.path),
            dir: artifacts.dirFor(key),
          },
          partial: (output) => this.reportPartial(key, step.id, active, output),
          resource: (name, create) => this.resources.use(key, name, create),
          ai: this.stepAi({ profile: state.profile, runKey: key, workflowId: state.workflow, stepId: step.id, stepTitle: step.title }, active.controller.signal),
          otherRun: (other) => this.otherRun(other),
        });
        if (active.controller.signal.aborted) throw active.controller.signal.reason;
        outcome = { status: 'done', output: toJson(out, step.id) };
      } catch (e) {
        const aborted = active.controller.signal.aborted;
        let output: unknown = null;
        // A failure that brings its output (a traceback) keeps it, if it is JSON of a sane size.
        if (e instanceof StepFailure && !aborted) output = safeJson(e.output, step.id);
        outcome = { status: aborted ? 'cancelled' : 'failed', output, error: aborted ? 'cancelled by request' : errorMessage(e) };
      }
      clearTimeout(active.partialTimer);
      // Files the step wrote into the run's folder itself go to the database too (PostgreSQL).
      await artifacts.pushRun(key).catch(() => {});
      try {
        return await this.record(key, step.id, execId, outcome);
      } catch {
        // Only reachable if the database went away (shutdown); the next start reaps the step.
        return state;
      } finally {
        // A re-run may already have registered itself under the same id.
        if (this.active.get(id) === active) this.active.delete(id);
      }
    })();
  }

  private async otherRun(key: string): Promise<OtherRun> {
    const k = validateRunKey(key);
    const st = await this.store.runs.get(k);
    if (!st) throw new EngineError('not_found', `There is no run "${k}" (deleted, or never made).`);
    await this.store.artifacts.pullRun(k);
    const outputs: Record<string, unknown> = {};
    for (const [id, s] of Object.entries(st.steps)) if (s.status === 'done') outputs[id] = s.output;
    return { key: k, workflowId: st.workflow, profile: st.profile, outputs, artifactsDir: this.store.artifacts.dirFor(k) };
  }

  private async record(key: string, stepId: string, execId: string, outcome: Outcome): Promise<RunState> {
    let changed = false;
    const st = await this.store.tx(async (tx) => {
      const st = await tx.runs.lock(key);
      // Deleted meanwhile: there is nothing left to record the outcome in.
      if (!st) throw new Error(`run "${key}" is gone`);
      const s = st.steps[stepId];
      const ex = await tx.executions.releaseOwn(key, stepId, execId);
      const ours = ex !== undefined;
      // Cancelled, reverted, re-run or taken over meanwhile (the row is gone or another
      // execution's): this result belongs to no one any more.
      if (!ours || !s || s.status !== 'running') return st;
      const t = now();
      const next: StepState = { ...s, status: outcome.status, output: outcome.output, finishedAt: t };
      delete next.error;
      if (outcome.error) next.error = outcome.error;
      st.steps[stepId] = next;
      st.updated = t;
      await tx.runs.update(st);
      const type = outcome.status === 'done' ? 'completed' : outcome.status === 'cancelled' ? 'cancelled' : 'failed';
      const detail = { ...(outcome.error ? { error: outcome.error } : {}), ...(ex.worker && this.store.backend === 'postgres' ? { worker: ex.worker } : {}) };
      await tx.events.append(key, t, type, stepId, Object.keys(detail).length ? detail : undefined);
      changed = true;
      return st;
    });
    if (changed) this.bus.emit('change', key);
    return st;
  }

  /** `ctx.ai` of one step: the engine's StepAi told where it is asked from and the step's signal. */
  private stepAi(place: StepPlace, signal: AbortSignal): StepAiContext {
    return {
      comment: async (req) => {
        try {
          return await this.ai.comment({ ...req, place, signal });
        } catch (e) {
          // The contract is "never rejects": a broken StepAi must not fail the step it comments on.
          return { status: signal.aborted ? 'stopped' : 'failed', text: '', note: errorMessage(e) };
        }
      },
    };
  }

  private reportPartial(key: string, stepId: string, active: ActiveStep, output: unknown): void {
    if (active.controller.signal.aborted) return;
    active.partial = output;
    active.partialSent = false;
    if (active.partialTimer) return;
    const send = () => {
      if (active.partialSent) {
        active.partialTimer = undefined;
        return;
      }
      active.partialSent = true;
      this.bus.emit('partial', { run: key, step: stepId, output: active.partial });
      // Whatever arrives in the next interval goes out together at its end.
      active.partialTimer = setTimeout(send, PARTIAL_INTERVAL_MS);
      active.partialTimer.unref();
    };
    send();
  }

  private reportProgress(key: string, stepId: string, active: ActiveStep, p: Progress): void {
    if (active.controller.signal.aborted) return;
    active.progress = { done: p.done, total: p.total, message: p.message };
    this.bus.emit('progress', { run: key, step: stepId, progress: active.progress });
    const t = Date.now();
    // Other processes (a server watching a CLI run) read progress from the database; throttle it.
    if (t - active.lastWrite >= PROGRESS_WRITE_INTERVAL_MS) {
      active.lastWrite = t;
      // Progress is advisory; a busy database must not fail the step.
      this.store.executions.setProgress(key, stepId, JSON.stringify(active.progress)).catch(() => {});
    }
  }
}

/** Without a model (EngineOptions.ai unset), a comment says so and the step goes on. */
const NO_AI: StepAi = {
  comment: async (): Promise<ModelComment> => ({
    status: 'unavailable',
    text: '',
    note: 'No AI model is connected to this Railbook process, so this step could not ask one for a comment.',
  }),
};

function activeId(key: string, stepId: string): string {
  return `${key}\u0000${stepId}`;
}

function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}

function safeJson(v: unknown, stepId: string): unknown {
  try {
    return toJson(v, stepId);
  } catch {
    return null;
  }
}

function toJson(v: unknown, stepId: string): unknown {
  let text: string;
  try {
    text = JSON.stringify(v ?? null);
  } catch (e) {
    throw new Error(`step "${stepId}" returned a value that is not JSON (${errorMessage(e)})`);
  }
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_OUTPUT_JSON_BYTES) {
    throw new Error(`step "${stepId}" returned ${bytes} bytes of output; write large data with ctx.artifacts.write() and return the reference`);
  }
  return JSON.parse(text);
}
