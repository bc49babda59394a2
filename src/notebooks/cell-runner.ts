// What runs a notebook's cells for one run: a Jupyter kernel (kernel/kernel.ts) or, for
// TypeScript and JavaScript notebooks, Node itself (typescript/). The notebook workflow talks to
// this interface only, so both behave the same to a person: outputs stream, Stop interrupts (or
// restarts what ignores it), and a runner that died says so.
import type { KernelOutput } from './kernel/outputs.ts';

export type RunnerState = 'starting' | 'idle' | 'busy' | 'dead' | 'shutdown';

export interface CellResult {
  status: 'ok' | 'error' | 'aborted';
  /** The runner's execution counter for this cell (Jupyter's `In [n]`), when it keeps one. */
  executionCount: number | null;
  /** For status "error": what went wrong (the same error also came as an `error` output). */
  error?: { ename: string; evalue: string; traceback: string[] } | undefined;
}

export interface RunCellOptions {
  /** Called for each output as it is produced, in order (stream text, displays, results, errors). */
  onOutput?: ((output: KernelOutput) => void) | undefined;
  /** Jupyter's `store_history`: false for code the person did not write (replays, injected cells). */
  storeHistory?: boolean | undefined;
}

export interface CellRunner {
  /** For messages and the status indicator: "python3", "typescript (Node)". */
  readonly label: string;
  readonly state: RunnerState;
  /**
   * Runs `code`; resolves once every output has been delivered. Rejects with KernelDiedError
   * (kernel/errors.ts) if the runner dies meanwhile.
   */
  execute(code: string, opts?: RunCellOptions): Promise<CellResult>;
  /** The Stop button: interrupt the running cell; what ignores that is restarted (its variables are lost). */
  stop(): Promise<'idle' | 'interrupted' | 'restarted'>;
  /** A fresh runner in the same folder: all variables are gone. */
  restart(): Promise<void>;
  /** Ends it for good and leaves no process or thread behind. */
  shutdown(): Promise<void>;
}
