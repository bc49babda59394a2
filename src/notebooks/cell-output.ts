// What a notebook step stores as its output: the code as it ran (so a later replay re-runs exactly
// that, and an export writes it back), what the cell produced, and how it ended. Later steps, the
// run page, `export --ipynb` and the replay of a kernel's state all read this one shape.
import type { Json } from './parameters.ts';
import type { NbOutput } from './outputs/nb-output.ts';

export interface CellOutput {
  /** Marks a notebook cell's output among other steps' outputs. */
  notebookCell: true;
  kind: 'code' | 'parameters';
  /** The code that ran, in order: the cell, and for a parameters step the injected cell after it. */
  code: string[];
  codeHash: string;
  /** `running` only in the output so far (ctx.partial) of a cell still executing. */
  status: 'ok' | 'error' | 'skipped' | 'running';
  /** The error was expected (`raises-exception`): the step completed anyway. */
  errorExpected?: boolean | undefined;
  outputs: NbOutput[];
  executionCount: number | null;
  /** For a parameters step: the values injected, as the notebook's code received them. */
  values?: Record<string, Json> | undefined;
  /** ISO times the cell started and finished running (papermill records them in an executed notebook). */
  startedAt?: string | undefined;
  finishedAt?: string | undefined;
  durationMs?: number | undefined;
}

export function isCellOutput(v: unknown): v is CellOutput {
  return typeof v === 'object' && v !== null && (v as { notebookCell?: unknown }).notebookCell === true && Array.isArray((v as { code?: unknown }).code);
}
