// One run's live runner (kernel) as a resource the engine manages (engine/run-resources.ts), and
// what it remembers: which of the run's cells have run in it, in order. That memory is what makes
// resuming honest: a kernel that does not hold exactly the run's done cells is brought there
// first — by running the missing ones, or by restarting and replaying them all — before the next
// cell runs ("restoring kernel state (3/7)").
import type { ResourceHooks, ResourceStatus, RunResource } from '../engine/run-resources.ts';
import type { CellResult, CellRunner, RunCellOptions, RunnerState } from './cell-runner.ts';
import { startRunner, type RunnerChoice } from './runner-choice.ts';
import { envCode, takeWarmRunner } from './warm-runner.ts';

/** A cell the kernel must hold before the next one runs: a done step's code, as it ran. */
export interface ReplayCell {
  step: string;
  /** The code to run again (for a parameters step: its cell, then the injected values). */
  code: string[];
  title: string;
  /** It ended in an error and that was expected (`raises-exception`): an error now is no failure. */
  errorExpected?: boolean | undefined;
}

export class ReplayError extends Error {
  constructor(
    readonly cell: ReplayCell,
    readonly index: number,
    readonly total: number,
    detail: string,
  ) {
    super(`restoring the kernel's state failed at cell ${index + 1} of ${total} ("${cell.title}"): ${detail}. Revert to that step to run it again`);
    this.name = 'ReplayError';
  }
}

export class NotebookSession implements RunResource {
  /** Step ids whose code has run in the current runner process, in order. */
  private executed: string[] = [];
  private runner: CellRunner;
  /** A Stop in progress (an interrupt, or a restart of a kernel that ignores interrupts): the next cell waits for it. */
  private stopping: Promise<void> | undefined;
  /** For a kernel started before the run existed: the code that gives it the run's environment, and whether it ran. */
  private envCode: string | undefined;
  private envSet = true;

  private constructor(
    runner: CellRunner,
    private readonly choice: RunnerChoice,
    private readonly hooks: ResourceHooks,
  ) {
    this.runner = runner;
  }

  static async start(choice: RunnerChoice, cwd: string, env: Record<string, string>, hooks: ResourceHooks): Promise<NotebookSession> {
    let session: NotebookSession | undefined;
    const onStateChange = (state: RunnerState) => {
      // A runner that restarted or died by itself holds none of the run's cells (nor their environment) any more.
      if (session && (state === 'dead' || state === 'starting')) session.forget();
      hooks.changed();
    };
    // A kernel `railbook run` started early (warm-runner.ts) is taken as it is; it learns the run's
    // environment from a line of code before the first cell, and after every restart.
    const warm = takeWarmRunner(choice, cwd, onStateChange);
    const runner = warm ? await warm : await startRunner(choice, { cwd, env, onStateChange });
    session = new NotebookSession(runner, choice, hooks);
    if (warm && choice.kind === 'kernel') {
      session.envCode = envCode(choice.spec.language, env);
      session.envSet = false;
    }
    hooks.changed();
    return session;
  }

  /** The kernel process was replaced or died: it holds none of the run's cells, nor an environment set by code. */
  private forget(): void {
    this.executed = [];
    if (this.envCode !== undefined) this.envSet = false;
  }

  get state(): RunnerState {
    return this.runner.state;
  }

  status(): ResourceStatus {
    return { label: `Kernel ${this.choice.label}`, state: this.runner.state };
  }

  /**
   * Brings the runner to hold exactly `cells` (the run's done cells before the one about to run):
   * nothing to do if it does; the missing tail if it holds a prefix of them; else restart and
   * replay all. Running `current` again right after it ran (it failed, or was stopped) is what
   * Jupyter does too: no restart for that. `onStep(i, n)` reports each replayed cell.
   */
  async restore(cells: ReplayCell[], current: string, onStep: (done: number, total: number, cell?: ReplayCell) => void, signal: AbortSignal): Promise<void> {
    await this.stopping;
    if (this.runner.state === 'dead') await this.restartRunner();
    const want = cells.map((c) => c.step);
    if (this.executed.length === want.length + 1 && this.executed.at(-1) === current) this.executed.pop();
    const prefix = this.executed.length <= want.length && this.executed.every((s, i) => want[i] === s);
    if (!prefix) await this.restartRunner();
    if (!this.envSet && this.envCode !== undefined) {
      const r = await this.execute(this.envCode, { storeHistory: false }, signal);
      if (r.status !== 'ok') throw new Error(`could not give the kernel the run's environment: ${r.error ? `${r.error.ename}: ${r.error.evalue}` : r.status}`);
      this.envSet = true;
    }
    const todo = cells.slice(this.executed.length);
    for (let i = 0; i < todo.length; i++) {
      if (signal.aborted) throw signal.reason;
      const cell = todo[i]!;
      onStep(i, todo.length, cell);
      for (const code of cell.code) {
        const r = await this.execute(code, { storeHistory: false }, signal);
        if (r.status !== 'ok' && !cell.errorExpected) {
          const why = r.error ? `${r.error.ename}: ${r.error.evalue}` : r.status;
          throw new ReplayError(cell, this.executed.length, cells.length, why);
        }
      }
      this.executed.push(cell.step);
    }
    if (todo.length) onStep(todo.length, todo.length);
  }

  /** Runs code for `step` and remembers that it ran (even when it failed: its effects happened). */
  async run(step: string, code: string[], opts: RunCellOptions, signal: AbortSignal): Promise<CellResult> {
    let last: CellResult = { status: 'ok', executionCount: null };
    try {
      for (let i = 0; i < code.length; i++) {
        // Only the person's own cell counts in Jupyter's history; injected values do not.
        last = await this.execute(code[i]!, { ...opts, storeHistory: i === 0 ? opts.storeHistory : false }, signal);
        if (last.status !== 'ok') break;
      }
    } finally {
      if (this.runner.state !== 'dead' && this.runner.state !== 'starting') this.executed.push(step);
    }
    return last;
  }

  /** Executes, and on abort stops the runner (interrupt, or restart what ignores it). */
  private async execute(code: string, opts: RunCellOptions, signal: AbortSignal): Promise<CellResult> {
    if (signal.aborted) throw signal.reason;
    const onAbort = () => {
      const stop = this.runner.stop().then((how) => {
        if (how === 'restarted') this.forget();
        this.hooks.changed();
      }, () => {
        // A stop that failed leaves a kernel in an unknown state: the next cell starts afresh.
        this.forget();
      });
      this.stopping = stop.finally(() => {
        if (this.stopping === tracked) this.stopping = undefined;
      });
      const tracked = this.stopping;
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const r = await this.runner.execute(code, opts);
      if (signal.aborted) throw signal.reason;
      return r;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  private async restartRunner(): Promise<void> {
    this.forget();
    await this.runner.restart();
    this.hooks.changed();
  }

  /** "Restart kernel": a fresh process; the next cell replays what the run has done. */
  async restart(): Promise<void> {
    await this.restartRunner();
  }

  async dispose(): Promise<void> {
    this.executed = [];
    try {
      await this.runner.shutdown();
    } catch {
      // Already gone.
    }
  }
}
