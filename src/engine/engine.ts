import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import type { Store, StoreTx } from '../store/store.ts';
import { LEASE_MS } from '../store/executions.ts';
import { now } from './clock.ts';
import { EngineError } from './errors.ts';
import { checkSubmittable, discardUnclaimed, withKeptValues } from './step-rules.ts';
import type { Registry } from './registry.ts';
import { emptyStep, type RunState, type StepState } from './run-state.ts';
import { nextRunKey, openRun } from './run-open.ts';
import { livePrepareContext } from './prepare-context.ts';
import { DEFAULT_MAX_UPLOAD_BYTES } from './upload-limit.ts';
import { prepareInput } from './step-input.ts';
import { applyRevert, applyUndo, previewRevert, undoOffer, UNDO_LOOKBACK, type RevertHost, type RevertPreview, type UndoOffer } from './revert.ts';
import { Orphans } from './orphans.ts';
import { StepExecutor } from './step-executor.ts';
import { watchRun, type RunUpdate, type WatchOptions } from './watch.ts';
import { RunAdmin, type RunInventory } from './run-admin.ts';
import { RunResources, type ResourceStatus } from './run-resources.ts';
import { runAllSteps, type RunAllResult } from './run-all.ts';
import type { RunFilter, RunSummary } from '../store/run-repo.ts';
import { findStep, type AnyStep, type Progress, type StepAi, type Workflow } from './workflow.ts';
import type { EngineEvents, SubmitResult } from './engine-events.ts';

export { MAX_OUTPUT_JSON_BYTES } from './step-executor.ts';
export type { EngineEvents, PartialEvent, ProgressEvent, SubmitResult } from './engine-events.ts';

export interface EngineOptions {
  /** Largest file an upload or a job file may hold (default DEFAULT_MAX_UPLOAD_BYTES, 10 GB). */
  maxUploadBytes?: number | undefined;
  /** A run's resources (a kernel) are released after this long without a step (default 10 min). */
  resourceIdleMs?: number | undefined;
  /** PostgreSQL: how long a step's lease lasts without a heartbeat (default LEASE_MS, 30 s). */
  leaseMs?: number | undefined;
  /** Who executes steps here, as people see it in the history (default host:pid). */
  worker?: string | undefined;
  /**
   * The model steps ask for comments (`ctx.ai`), e.g. `peanutGallery(…)` of src/ai. Without it a
   * comment resolves `unavailable` and the step goes on.
   */
  ai?: StepAi | undefined;
}

/**
 * The one engine behind the web app, the CLI, workers, the scheduler and MCP. It enforces the
 * rules (order of steps, finalized runs are locked), executes steps in the background, and
 * writes every state change together with its event in one transaction (see store.ts).
 * Create it with `Engine.start`, which also recovers what a crash left running.
 */
export class Engine {
  /** Identifies this process's executions (a pid alone may be reused after a restart). */
  readonly owner = randomUUID();
  readonly bus = new EventEmitter<EngineEvents>();
  private readonly executor: StepExecutor;
  private readonly orphans: Orphans;
  private readonly admin: RunAdmin;
  /** Runs whose "run all" is going on in this process, and its outcome. */
  private readonly runningAll = new Map<string, Promise<RunAllResult>>();
  /** What runs keep between steps (kernels): see run-resources.ts. */
  readonly resources: RunResources;

  /** The one upload limit (bytes): web uploads and job files' local files. */
  readonly maxUploadBytes: number;
  /** Who executes steps here, as the history shows it. */
  readonly worker: string;
  private readonly leaseMs: number;

  /** An engine over the store, with steps left running by dead processes marked interrupted. */
  static async start(store: Store, registry: Registry, opts: EngineOptions = {}): Promise<Engine> {
    const engine = new Engine(store, registry, opts);
    await engine.recover();
    return engine;
  }

  constructor(readonly store: Store, readonly registry: Registry, opts: EngineOptions = {}) {
    this.maxUploadBytes = opts.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
    this.leaseMs = opts.leaseMs ?? LEASE_MS;
    this.worker = opts.worker ?? `${hostname()}:${process.pid}`;
    this.bus.setMaxListeners(0);
    this.resources = new RunResources({
      idleMs: opts.resourceIdleMs,
      busy: (key) => this.executor.running().some(([run]) => run === key),
      changed: (key) => this.bus.emit('resources', key),
    });
    this.executor = new StepExecutor(store, this.bus, this.resources, this.owner, this.leaseMs, opts.ai);
    this.orphans = new Orphans(store, this.executor, this.owner, (key) => this.bus.emit('change', key));
    this.admin = new RunAdmin({
      store,
      get: (key) => this.get(key),
      workflow: (id) => this.registry.get(id),
      executing: (key) => this.executor.running().some(([run]) => run === key),
      changed: (key) => this.bus.emit('change', key),
    });
  }

  workflow(id: string): Workflow {
    const wf = this.registry.get(id);
    if (!wf) throw new EngineError('not_found', `no workflow "${id}" (known: ${this.registry.list().map((w) => w.id).join(', ') || 'none'})`);
    return wf;
  }

  step(wf: Workflow, stepId: string): AnyStep {
    const s = findStep(wf, stepId);
    if (!s) throw new EngineError('not_found', `workflow "${wf.id}" has no step "${stepId}" (steps: ${wf.steps.map((x) => x.id).join(', ')})`);
    return s;
  }

  /** The key `open` would give a new run of this workflow in this profile. */
  async nextKey(workflowId: string, profile?: string): Promise<string> {
    this.workflow(workflowId);
    return nextRunKey(this.store, workflowId, profile);
  }

  /** Creates a run, or resumes it if the key exists. Without a key, takes the next free number (see run-open.ts). */
  async open(workflowId: string, opts: { key?: string | undefined; profile?: string | undefined } = {}): Promise<{ state: RunState; created: boolean }> {
    return openRun({ store: this.store, get: (k) => this.get(k), reap: (tx, st) => this.orphans.reap(tx, st) }, this.workflow(workflowId), opts);
  }

  /** The run's state. Steps whose executing process has died are marked interrupted on the way. */
  async get(key: string): Promise<RunState> {
    const state = await this.store.runs.get(key);
    if (!state) throw new EngineError('not_found', `no run "${key}"`);
    // Reads stay lock-free; only a run with an orphaned step takes the write lock to mark it.
    if (!(await this.orphans.any(state))) return withAllSteps(state, this.registry.get(state.workflow));
    return withAllSteps(await this.store.tx(async (tx) => this.orphans.reap(tx, await this.stored(tx, key))), this.registry.get(state.workflow));
  }

  /** Values to pre-fill a step's form with: what was entered before, else a suggestion, else defaults. */
  formValues(state: RunState, stepId: string): Record<string, unknown> {
    const wf = this.workflow(state.workflow);
    const step = this.step(wf, stepId);
    const s = state.steps[stepId];
    if (s?.input) return s.input;
    const values: Record<string, unknown> = {};
    for (const [name, w] of Object.entries(step.fields)) if (w.initial !== undefined) values[name] = w.initial;
    if (step.suggest) {
      try {
        Object.assign(values, step.suggest({ outputs: this.outputsBefore(state, wf, stepId), runKey: state.key }) ?? {});
      } catch {
        // A suggestion is a convenience; a failing one must not block the form.
      }
    }
    return values;
  }

  /** Validates and records a step's input, then runs its work in the background. `baseDir` resolves relative file paths. */
  async submit(key: string, stepId: string, raw: Record<string, unknown>, opts: { baseDir?: string } = {}): Promise<SubmitResult> {
    const first = await this.get(key);
    const wf = this.workflow(first.workflow);
    const step = this.step(wf, stepId);
    checkSubmittable(first, wf, stepId);
    raw = withKeptValues(step, raw, first.steps[stepId]?.input);
    // Prepare (may store uploads) outside the transaction: it is async and may be slow.
    const stored: string[] = [];
    let input: Record<string, unknown>;
    let state: RunState;
    const execId = randomUUID();
    try {
      input = await prepareInput(step, raw, livePrepareContext(this.store.artifacts, key, opts.baseDir, stored, this.maxUploadBytes));
      state = await this.accept(key, wf, step, input, execId);
    } catch (e) {
      // Refused after all (bad input, or the run changed meanwhile): drop the files it stored.
      if (stored.length) discardUnclaimed(this.store.dataDir, await this.store.runs.get(key).catch(() => undefined), stored);
      throw e;
    }
    // Register the execution before announcing the change: a listener that reads the run at once
    // must find the step running here, not take it for an orphan of a dead process.
    const completion = step.run ? this.executor.execute(state, step, input, this.outputsBefore(state, wf, stepId), execId) : Promise.resolve(state);
    this.bus.emit('change', key);
    return { state, completion };
  }

  /** Records an accepted input, re-checking the rules inside the write lock. */
  private accept(key: string, wf: Workflow, step: AnyStep, input: Record<string, unknown>, execId: string): Promise<RunState> {
    const stepId = step.id;
    return this.store.tx(async (tx) => {
      const st = await this.orphans.reap(tx, await this.stored(tx, key));
      checkSubmittable(st, wf, stepId);
      const t = now();
      const s: StepState = { input, output: null, status: 'running', startedAt: t, finishedAt: null };
      if (step.version !== undefined) s.version = step.version;
      if (!step.run) Object.assign(s, { status: 'done', output: structuredClone(input), finishedAt: t });
      st.steps[stepId] = s;
      st.updated = t;
      await tx.runs.update(st);
      // With PostgreSQL, steps run on many machines: the history says which worker ran each.
      const byWorker = step.run && this.store.backend === 'postgres';
      await tx.events.append(key, t, 'submitted', stepId, byWorker ? { input, worker: this.worker } : { input });
      if (step.run) await tx.executions.claim(key, stepId, this.owner, t, execId, this.worker, this.leaseMs);
      return st;
    });
  }

  /**
   * Go back to `stepId`: it asks for input again (pre-filled), and every later step is cleared.
   * The `reverted` event keeps the cleared steps as they were, for `undoRevert` (revert.ts).
   */
  async revert(key: string, stepId: string): Promise<RunState> {
    const state = await this.mutate(key, (tx, st, wf, t) => applyRevert(this.revertHost(tx), st, wf, this.step(wf, stepId).id, t));
    // What later steps did to the run's resources (a kernel's variables) is undone with them.
    void this.resources.reverted(key, stepId);
    return state;
  }

  /** What a revert to `stepId` would clear (steps losing an output or running work, and how long it took), changing nothing. */
  async revertPreview(key: string, stepId: string): Promise<RevertPreview> {
    const st = await this.get(key);
    const wf = this.workflow(st.workflow);
    return previewRevert(st, wf, this.step(wf, stepId).id, Date.now());
  }

  /** Brings back the steps the last revert cleared, exactly; only until the run changes again (see revert.ts). */
  async undoRevert(key: string): Promise<RunState> {
    // The cleared steps' files must be here to be checked (PostgreSQL: they may be elsewhere).
    await this.store.artifacts.pullRun(key);
    const state = await this.mutate(key, async (tx, st, _wf, t) => (await applyUndo(this.revertHost(tx), st, t), true));
    // The restored steps' effects are not in any live resource: start afresh (a kernel replays).
    void this.resources.dispose(key);
    return state;
  }

  /** What `undoRevert` would restore now, or undefined if it would be refused. */
  async undoOffer(key: string): Promise<UndoOffer | undefined> {
    const st = await this.get(key);
    return undoOffer(st, this.registry.get(st.workflow), await this.store.events.forRun(key, UNDO_LOOKBACK));
  }

  private revertHost(tx: StoreTx): RevertHost {
    return { tx, artifacts: this.store.artifacts, owner: this.owner, stop: (k, s) => this.executor.stop(k, s) };
  }

  async finalize(key: string): Promise<RunState> {
    const state = await this.mutate(key, async (tx, st, wf, t) => {
      if (st.finalized) return false;
      const open = wf.steps.find((s) => st.steps[s.id]?.status !== 'done');
      if (open) throw new EngineError('not_complete', `cannot finalize "${key}": step "${open.id}" is not done`);
      st.finalized = t;
      await tx.events.append(key, t, 'finalized', null);
      return true;
    });
    // A locked run runs nothing more: its kernel's memory goes back.
    void this.resources.dispose(key);
    return state;
  }

  unfinalize(key: string): Promise<RunState> {
    return this.mutate(key, async (tx, st, _wf, t) => {
      if (!st.finalized) return false;
      st.finalized = null;
      await tx.events.append(key, t, 'unfinalized', null);
      return true;
    });
  }

  /** Stops a running step. Its state says `cancelled` at once, even if its code is slow to notice. */
  cancel(key: string, stepId: string): Promise<RunState> {
    return this.mutate(key, async (tx, st, wf, t) => {
      this.step(wf, stepId);
      const s = st.steps[stepId]!;
      if (s.status !== 'running') throw new EngineError('not_found', `step "${stepId}" of "${key}" is not running`);
      const ex = await tx.executions.get(key, stepId);
      if (ex && ex.owner !== this.owner) {
        throw new EngineError('running', `step "${stepId}" is running in another Railbook process (${ex.worker ?? `pid ${ex.pid}`}); stop it there`);
      }
      // What the step showed so far (a cell's printed lines) stays with it: the person sees where it stopped.
      const partial = this.executor.partial(key, stepId);
      this.executor.stop(key, stepId);
      st.steps[stepId] = { ...s, status: 'cancelled', finishedAt: t, error: 'cancelled by request', ...(partial !== undefined ? { output: partial } : {}) };
      await tx.executions.release(key, stepId);
      await tx.events.append(key, t, 'cancelled', stepId);
      return true;
    });
  }

  /** The run's state changes and its steps' progress, as they happen, from this process and others (see watch.ts). */
  watch(key: string, opts: WatchOptions = {}): AsyncGenerator<RunUpdate> {
    return watchRun(this, key, opts);
  }

  /**
   * Runs the run's remaining steps in order, in the background, until one needs input or does not
   * end done (see run-all.ts). Calling it while it is going on returns the same run-all. Resolves
   * once it has started (a finalized run is refused then), with its completion, like `submit`.
   */
  async runAll(key: string): Promise<{ completion: Promise<RunAllResult> }> {
    const st = await this.get(key);
    if (st.finalized) throw new EngineError('finalized', `run "${key}" is finalized; unfinalize it to change it`);
    const going = this.runningAll.get(key);
    if (going) return { completion: going };
    const all = runAllSteps(this, key).finally(() => this.runningAll.delete(key));
    this.runningAll.set(key, all);
    return { completion: all };
  }

  /** Is "run all" going on for this run in this process? */
  isRunningAll(key: string): boolean {
    return this.runningAll.has(key);
  }

  /** The output so far of a step running in this process (ctx.partial), if it reported any. */
  partial(key: string, stepId: string): unknown {
    return this.executor.partial(key, stepId);
  }

  /** The live resources of a run (its kernel) and what they say of themselves. */
  resourceStatus(key: string): { name: string; status: ResourceStatus; restartable: boolean }[] {
    return this.resources.list(key).map(([name, r]) => ({
      name,
      status: r.status?.() ?? { label: name, state: 'running' },
      restartable: typeof r.restart === 'function',
    }));
  }

  /** Restarts a run's resource ("Restart kernel"); refused while a step of the run executes here. */
  async restartResource(key: string, name: string): Promise<void> {
    await this.get(key);
    const r = this.resources.peek(key, name);
    if (!r?.restart) throw new EngineError('not_found', `run "${key}" has no running ${name} to restart`);
    if (this.executor.running().some(([run]) => run === key)) throw new EngineError('running', `a step of "${key}" is running; stop it first`);
    await r.restart();
    this.bus.emit('resources', key);
  }

  /** Latest progress of a running step: from memory if it runs here, else from the database. */
  async progress(key: string, stepId: string): Promise<Progress | undefined> {
    const local = this.executor.progress(key, stepId);
    if (local) return local;
    const ex = await this.store.executions.get(key, stepId);
    return ex?.progress ? (JSON.parse(ex.progress) as Progress) : undefined;
  }

  /** Output of every done step before `stepId`, by step id. */
  outputsBefore(state: RunState, wf: Workflow, stepId: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const s of wf.steps) {
      if (s.id === stepId) break;
      const st = state.steps[s.id];
      if (st?.status === 'done') out[s.id] = st.output;
    }
    return out;
  }

  /**
   * Graceful stop: steps still executing here are recorded as interrupted (they can be re-run) at
   * once; the promise resolves when the runs' resources (kernels) are shut down too.
   */
  async shutdown(): Promise<void> {
    this.executor.heartbeat.stop();
    for (const [key, stepId] of this.executor.running()) {
      // Recorded first, then stopped: a step that ends the moment it is aborted must not record
      // itself "cancelled", as if someone had asked.
      try {
        await this.orphans.interrupt(key, stepId, 'the Railbook process stopped');
      } catch {
        // The database may already be closed; the next start reaps it instead.
      }
      this.executor.stop(key, stepId);
    }
    await this.resources.disposeAll();
  }

  /** Marks steps whose executing process is gone as interrupted. Runs at start-up. */
  async recover(): Promise<void> {
    return this.orphans.recoverAll((key) => this.get(key));
  }

  // ---- run administration: archive, unarchive, delete, lists (see run-admin.ts) ----

  /** Hides the run from lists; it is kept whole and still opens by its key. */
  archive(key: string): Promise<RunState> {
    return this.admin.archive(key);
  }

  unarchive(key: string): Promise<RunState> {
    return this.admin.unarchive(key);
  }

  /** What deleting the run would remove (steps done, artifact files and bytes), and any step running. */
  deletionSummary(key: string): Promise<RunInventory> {
    return this.admin.inventory(key);
  }

  /** Deletes the run, its events, executions and artifacts folder. Refused while a step of it runs. */
  async deleteRun(key: string): Promise<RunInventory> {
    const inventory = await this.admin.delete(key);
    await this.resources.dispose(key);
    return inventory;
  }

  /** Runs, newest first; archived ones only when asked (`archived: 'only' | 'all'`). */
  listRuns(filter: RunFilter = {}): Promise<RunSummary[]> {
    return this.store.runs.list(filter);
  }

  countRuns(filter: Parameters<Store['runs']['count']>[0]): Promise<number> {
    return this.store.runs.count(filter);
  }

  // ---- internals ----

  /** The run as stored, read inside a transaction; it may have been deleted since the caller last looked. */
  private async stored(tx: StoreTx, key: string): Promise<RunState> {
    const st = await tx.runs.lock(key);
    if (!st) throw new EngineError('not_found', `no run "${key}" (it was deleted)`);
    return st;
  }

  private async mutate(key: string, fn: (tx: StoreTx, st: RunState, wf: Workflow, t: string) => boolean | Promise<boolean>): Promise<RunState> {
    const wf = this.workflow((await this.get(key)).workflow);
    let changed = false;
    const state = await this.store.tx(async (tx) => {
      const st = await this.orphans.reap(tx, await this.stored(tx, key));
      const t = now();
      changed = await fn(tx, st, wf, t);
      if (changed) {
        st.updated = t;
        await tx.runs.update(st);
      }
      return st;
    });
    if (changed) this.bus.emit('change', key);
    return state;
  }
}

/**
 * A step added to the workflow file after the run began has no entry yet: show it as pending.
 * (Entries of steps since removed from the file are kept: the data is not ours to drop.)
 */
function withAllSteps(state: RunState, wf: Workflow | undefined): RunState {
  for (const s of wf?.steps ?? []) state.steps[s.id] ??= emptyStep();
  return state;
}
