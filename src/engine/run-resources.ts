// Things a run keeps alive between its steps — a Jupyter kernel is the first: started when a step
// first needs it, kept while the person works through the run, and released when it can no longer
// be useful (the run is finalized or deleted, it sat idle, the process stops). A revert tells the
// run's resources, since what later steps did to them is undone.

/** What a resource shows of itself on the run page ("python3: idle"). */
export interface ResourceStatus {
  label: string;
  state: string;
}

export interface RunResource {
  /** Releases it for good (shut the kernel down). Must not throw for an already-dead resource. */
  dispose(): Promise<void>;
  /**
   * The run went back to `stepId`: what later steps did must be forgotten. A resource that can
   * keep going says 'kept'; without this hook the resource is disposed (and created again on
   * demand), which is always correct.
   */
  reverted?(stepId: string): Promise<'kept' | 'disposed'>;
  status?(): ResourceStatus;
  /** Offered on the run page ("Restart kernel") when present. */
  restart?(): Promise<void>;
}

/** Given to a resource's factory: `changed()` tells watchers its status changed. */
export interface ResourceHooks {
  changed(): void;
}

interface Entry {
  pending: Promise<RunResource>;
  resource?: RunResource | undefined;
  lastUsed: number;
}

/** Ten minutes without a step: a kernel's memory is given back; the next step replays what it needs. */
export const DEFAULT_RESOURCE_IDLE_MS = 10 * 60_000;

export interface RunResourcesOptions {
  idleMs?: number | undefined;
  /** True while a step of the run executes here: its resources are in use, not idle. */
  busy(runKey: string): boolean;
  changed(runKey: string): void;
}

export class RunResources {
  private readonly byRun = new Map<string, Map<string, Entry>>();
  private readonly idleMs: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: RunResourcesOptions) {
    this.idleMs = opts.idleMs ?? DEFAULT_RESOURCE_IDLE_MS;
  }

  /** The run's resource called `name`, created by `create` the first time (concurrent callers share one). */
  use<T extends RunResource>(runKey: string, name: string, create: (hooks: ResourceHooks) => Promise<T>): Promise<T> {
    let run = this.byRun.get(runKey);
    if (!run) this.byRun.set(runKey, (run = new Map()));
    const existing = run.get(name);
    if (existing) {
      existing.lastUsed = Date.now();
      return existing.pending as Promise<T>;
    }
    const hooks: ResourceHooks = { changed: () => this.opts.changed(runKey) };
    const entry: Entry = { pending: Promise.resolve(undefined as unknown as RunResource), lastUsed: Date.now() };
    entry.pending = create(hooks).then(
      (r) => {
        entry.resource = r;
        return r;
      },
      (e: unknown) => {
        // A failed start is not cached: the next step tries again.
        if (this.byRun.get(runKey)?.get(name) === entry) this.forget(runKey, name);
        throw e;
      },
    );
    run.set(name, entry);
    this.schedule();
    this.opts.changed(runKey);
    return entry.pending as Promise<T>;
  }

  /** The resource if it exists and has started, without creating it. */
  peek(runKey: string, name: string): RunResource | undefined {
    return this.byRun.get(runKey)?.get(name)?.resource;
  }

  /** Every started resource of the run, by name. */
  list(runKey: string): [string, RunResource][] {
    const run = this.byRun.get(runKey);
    if (!run) return [];
    return [...run].flatMap(([name, e]) => (e.resource ? [[name, e.resource] as [string, RunResource]] : []));
  }

  async dispose(runKey: string, name?: string): Promise<void> {
    const run = this.byRun.get(runKey);
    if (!run) return;
    const names = name === undefined ? [...run.keys()] : [name];
    const doomed = names.flatMap((n) => {
      const e = run.get(n);
      if (!e) return [];
      this.forget(runKey, n);
      return [e.pending.then((r) => r.dispose()).catch(() => undefined)];
    });
    await Promise.all(doomed);
    if (doomed.length) this.opts.changed(runKey);
  }

  /** A revert to `stepId`: each resource forgets later steps itself, or is disposed. */
  async reverted(runKey: string, stepId: string): Promise<void> {
    for (const [name, r] of this.list(runKey)) {
      let kept: 'kept' | 'disposed' = 'disposed';
      try {
        if (r.reverted) kept = await r.reverted(stepId);
      } catch {
        kept = 'disposed';
      }
      if (kept === 'disposed') await this.dispose(runKey, name);
    }
    this.opts.changed(runKey);
  }

  async disposeAll(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all([...this.byRun.keys()].map((k) => this.dispose(k)));
  }

  /** Disposes resources of runs that have not used them for `idleMs` and have no step executing. */
  async sweep(at = Date.now()): Promise<void> {
    for (const [runKey, run] of [...this.byRun]) {
      if (this.opts.busy(runKey)) {
        for (const e of run.values()) e.lastUsed = at;
        continue;
      }
      for (const [name, e] of [...run]) if (at - e.lastUsed >= this.idleMs) await this.dispose(runKey, name);
    }
    if (this.byRun.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private forget(runKey: string, name: string): void {
    const run = this.byRun.get(runKey);
    run?.delete(name);
    if (run && run.size === 0) this.byRun.delete(runKey);
  }

  private schedule(): void {
    if (this.timer) return;
    const every = Math.max(50, Math.min(60_000, Math.floor(this.idleMs / 4)));
    this.timer = setInterval(() => void this.sweep(), every);
    // Idle sweeping must never keep the process alive on its own.
    this.timer.unref();
  }
}
