// The messages between a TypeScriptRunner (main thread) and its worker. Outputs carry the run
// they belong to, so what a finished cell's leftover timers print is recognised and dropped.
import type { KernelOutput } from '../kernel/outputs.ts';

/** The global through which rewritten cells import (`import x from 'pkg'`, `import()`, `import.meta`). */
export const HELPER = '__railbook';

/** What the worker needs at start: the notebook's folder, for imports and `require`. */
export interface WorkerSetup {
  cwd: string;
}

export interface ExecuteMessage {
  type: 'execute';
  run: number;
  /** From transformCell: evaluates to an async function. */
  code: string;
  /** Shown in stack traces; the main thread maps its lines back to the cell's. */
  filename: string;
  /** Top-level names the cell declares, defined on the worker's global object before it runs. */
  names: string[];
}

export interface CellError {
  ename: string;
  evalue: string;
  /** The error's stack, one entry a line, positions still in the compiled cell's numbering. */
  stack: string[];
}

export type WorkerMessage =
  | { type: 'ready' }
  /** Outputs other than errors: stream text, displays and the cell's result. */
  | { type: 'output'; run: number; output: KernelOutput }
  | { type: 'done'; run: number; status: 'ok' }
  | { type: 'done'; run: number; status: 'error'; error: CellError };
