// Runs a TypeScript or JavaScript notebook's cells in Node itself, with no external kernel: each
// runner owns one worker thread (worker.ts), its isolated context. Cells are transformed here
// (transform.ts) and evaluated there; outputs come back as the same KernelOutput objects a Jupyter
// kernel's do, so the notebook layer treats both alike.
import { Worker } from 'node:worker_threads';
import type { CellResult, CellRunner, RunCellOptions, RunnerState } from '../cell-runner.ts';
import { KernelDiedError, KernelError } from '../kernel/errors.ts';
import type { KernelOutput } from '../kernel/outputs.ts';
import type { CellError, ExecuteMessage, WorkerMessage, WorkerSetup } from './protocol.ts';
import { CellSourceMaps } from './stack-lines.ts';
import type { CellLanguage, transformCell } from './transform.ts';

export interface TypeScriptRunnerOptions {
  /** The notebook's folder: imports and `require` resolve from it, like a script there. */
  cwd: string;
  language: CellLanguage;
  /** The worker's process.env (a copy of the process's, with these on top). */
  env?: Record<string, string> | undefined;
  onStateChange?: ((state: RunnerState) => void) | undefined;
  /** The worker's heap limit (V8's old generation), in MB; Node's default when unset. Past it the runner dies. */
  memoryLimitMb?: number | undefined;
}

interface Running {
  run: number;
  executionCount: number | null;
  onOutput: ((output: KernelOutput) => void) | undefined;
  resolve(result: CellResult): void;
  reject(err: Error): void;
}

/** How much of the worker's own stderr a KernelDiedError quotes. */
const TAIL_CHARS = 2000;

export class TypeScriptRunner implements CellRunner {
  /** "typescript (Node)" or "javascript (Node)". */
  readonly label: string;
  private worker!: Worker;
  private current: RunnerState = 'starting';
  private running: Running | undefined;
  private death: KernelDiedError | undefined;
  /** Workers ended on purpose (stop, restart, shutdown): their exit is no death. */
  private readonly retired = new Set<Worker>();
  private readonly maps = new CellSourceMaps();
  private executionCount = 0;
  private serial = 0;
  private outputTail = '';

  private constructor(
    private readonly options: TypeScriptRunnerOptions,
    private readonly transform: typeof transformCell,
  ) {
    this.label = `${options.language} (Node)`;
  }

  /** Starts the worker and resolves once it is ready for cells. */
  static async start(options: TypeScriptRunnerOptions): Promise<TypeScriptRunner> {
    // Loaded here, not at import: the TypeScript compiler is large and Python notebooks never need it.
    const { transformCell } = await import('./transform.ts');
    const runner = new TypeScriptRunner(options, transformCell);
    await runner.launch();
    return runner;
  }

  get state(): RunnerState {
    return this.current;
  }

  execute(code: string, opts: RunCellOptions = {}): Promise<CellResult> {
    const unusable = this.unusable();
    if (unusable) return Promise.reject(unusable);
    if (this.running) return Promise.reject(new KernelError(`${this.label} is still running a cell; run cells one at a time`));
    const executionCount = opts.storeHistory === false ? null : ++this.executionCount;
    const filename = `cell-${++this.serial}`;
    const transformed = this.transform(code, this.options.language);
    if (!transformed.ok) {
      const { message, line, column, excerpt } = transformed.error;
      const error = {
        ename: 'SyntaxError',
        evalue: `${message} (line ${line}, column ${column})`,
        traceback: [`SyntaxError: ${message}`, ...excerpt.split('\n'), `    at ${filename}:${line}:${column}`],
      };
      deliver(opts.onOutput, { output_type: 'error', ...error });
      return Promise.resolve({ status: 'error', executionCount, error });
    }
    this.maps.add(filename, transformed.cell.sourceMap);
    const run = this.serial;
    return new Promise<CellResult>((resolve, reject) => {
      this.running = { run, executionCount, onOutput: opts.onOutput, resolve, reject };
      this.setState('busy');
      const msg: ExecuteMessage = { type: 'execute', run, code: transformed.cell.code, filename, names: transformed.cell.names };
      this.worker.postMessage(msg);
    });
  }

  /**
   * The Stop button. Code in a worker cannot be interrupted from outside the thread (a
   * `while (true) {}` never yields), so a busy runner is always restarted: the worker is
   * terminated and a fresh one started. Every variable is lost; the notebook layer replays the
   * earlier cells. The stopped execute rejects with a KernelError, as a Jupyter kernel's does on
   * restart. A dead runner is restarted too; an idle one is left alone.
   */
  async stop(): Promise<'idle' | 'interrupted' | 'restarted'> {
    if (!this.running && !this.death) return 'idle';
    await this.restart();
    return 'restarted';
  }

  /** A fresh worker in the same folder: all variables and loaded modules are gone. */
  async restart(): Promise<void> {
    if (this.current === 'shutdown') throw new KernelError(`${this.label} was shut down; start a new one`);
    await this.retire(new KernelError(`${this.label} was restarted; the cell was stopped and its variables are lost`));
    await this.launch();
  }

  /** Terminates the worker: no thread is left behind. */
  async shutdown(): Promise<void> {
    if (this.current === 'shutdown') return;
    await this.retire(new KernelError(`${this.label} was shut down`));
    this.setState('shutdown');
  }

  private async launch(): Promise<void> {
    this.setState('starting');
    this.death = undefined;
    this.running = undefined;
    this.outputTail = '';
    this.executionCount = 0;
    this.maps.clear();
    const setup: WorkerSetup = { cwd: this.options.cwd };
    // An eval'd entry registers tsx in the thread, then loads worker.ts: on Node 20 the main
    // thread's loader hooks (node --import tsx, or bin/railbook.js's register()) do not reach
    // workers, and `execArgv: ['--import', 'tsx']` comes too late for the worker's own entry.
    // Both hooks: without the CommonJS one a .ts file outside a "type": "module" package fails.
    const apis = [import.meta.resolve('tsx/esm/api'), import.meta.resolve('tsx/cjs/api')].map((u) => `import(${JSON.stringify(u)})`);
    const entry = JSON.stringify(new URL('./worker.ts', import.meta.url).href);
    const boot = `Promise.all([${apis.join(', ')}]).then((apis) => { for (const api of apis) api.register(); return import(${entry}); });`;
    const worker = new Worker(boot, {
      eval: true,
      workerData: setup,
      env: { ...process.env, ...this.options.env },
      // import.meta.resolve(specifier, parent) resolves imports from the notebook's folder.
      execArgv: ['--experimental-import-meta-resolve', '--disable-warning=ExperimentalWarning'],
      stdout: true,
      stderr: true,
      ...(this.options.memoryLimitMb ? { resourceLimits: { maxOldGenerationSizeMb: this.options.memoryLimitMb } } : {}),
    });
    this.worker = worker;
    const keepTail = (chunk: Buffer): void => {
      this.outputTail = (this.outputTail + chunk.toString('utf8')).slice(-TAIL_CHARS);
    };
    worker.stdout.on('data', keepTail);
    worker.stderr.on('data', keepTail);
    let startError: Error | undefined;
    await new Promise<void>((resolve, reject) => {
      worker.on('message', (msg: WorkerMessage) => (msg.type === 'ready' ? resolve() : this.onMessage(worker, msg)));
      worker.on('error', (err) => {
        startError = err;
        this.outputTail = (this.outputTail + `\n${err.stack?.split('\n')[0] ?? err.message}`).slice(-TAIL_CHARS);
      });
      worker.on('exit', (code) => {
        reject(new KernelError(`${this.label} could not start (exit code ${code}): ${startError?.message ?? this.outputTail.trim()}`));
        this.onExit(worker, code);
      });
    });
    this.setState('idle');
  }

  private onMessage(worker: Worker, msg: WorkerMessage): void {
    const running = this.running;
    if (worker !== this.worker || !running || msg.type === 'ready' || msg.run !== running.run) return;
    if (msg.type === 'output') {
      deliver(running.onOutput, this.finish(msg.output, running.executionCount));
      return;
    }
    const error = msg.status === 'error' ? this.jupyterError(msg.error) : undefined;
    if (error) deliver(running.onOutput, { output_type: 'error', ...error });
    this.running = undefined;
    this.setState('idle');
    running.resolve(error ? { status: 'error', executionCount: running.executionCount, error } : { status: 'ok', executionCount: running.executionCount });
  }

  /** The main thread's part of an output: the execution count, and cell lines in printed stacks. */
  private finish(output: KernelOutput, executionCount: number | null): KernelOutput {
    if (output.output_type === 'execute_result') return { ...output, execution_count: executionCount };
    if (output.output_type === 'stream') return { ...output, text: this.maps.mapLine(output.text) };
    return output;
  }

  private jupyterError(err: CellError): { ename: string; evalue: string; traceback: string[] } {
    return { ename: err.ename, evalue: err.evalue, traceback: err.stack.map((line) => this.maps.mapLine(line)) };
  }

  private onExit(worker: Worker, code: number): void {
    if (this.retired.delete(worker) || worker !== this.worker) return;
    // process.exit() in a cell, out of memory, or a crash of the thread: its state is gone.
    this.death = new KernelDiedError(this.label, { code, signal: null }, this.outputTail);
    this.setState('dead');
    const running = this.running;
    this.running = undefined;
    running?.reject(this.death);
  }

  /** Ends the current worker on purpose; a cell still running rejects with `reason`. */
  private async retire(reason: KernelError): Promise<void> {
    const worker = this.worker;
    const running = this.running;
    this.running = undefined;
    running?.reject(reason);
    if (this.current !== 'dead') this.retired.add(worker);
    await worker.terminate();
  }

  private unusable(): Error | undefined {
    if (this.death) return this.death;
    if (this.current === 'shutdown') return new KernelError(`${this.label} was shut down; start a new one`);
    if (this.current === 'starting') return new KernelError(`${this.label} is restarting; wait for restart() to finish`);
    return undefined;
  }

  private setState(state: RunnerState): void {
    if (state === this.current) return;
    this.current = state;
    this.options.onStateChange?.(state);
  }
}

/** Hands an output to the caller; a throwing callback must not break the runner. */
function deliver(onOutput: ((output: KernelOutput) => void) | undefined, output: KernelOutput): void {
  try {
    onOutput?.(output);
  } catch {
    // The caller's bug, not the cell's: the run goes on.
  }
}
