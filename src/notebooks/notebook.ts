// The in-memory shape every notebook reader produces (.ipynb, percent scripts), whatever the file
// format: what the cells → steps conversion, the kernels and the exporters work from. Readers
// validate; code downstream of them may trust this shape.

export type CellType = 'code' | 'markdown' | 'raw';

export interface NotebookCell {
  type: CellType;
  /** The cell's text, lines joined (nbformat stores it as a string or a list of lines). */
  source: string;
  /** nbformat 4.5 cell id, when the file has one (stable across edits: step ids come from it). */
  id?: string | undefined;
  /** `metadata.tags` (papermill's `parameters`, jupyter-book's `remove-input`, …). */
  tags: string[];
  /** The cell's whole metadata, kept for a faithful export. */
  metadata: Record<string, unknown>;
  /** Stored outputs of a code cell (nbformat 4 output objects), kept for export; empty otherwise. */
  outputs: Record<string, unknown>[];
  /** A code cell's stored execution count (null: never run); undefined for other cells. */
  executionCount?: number | null | undefined;
  /** A markdown or raw cell's attachments (nbformat 4 `attachments`), kept for export. */
  attachments?: Record<string, unknown> | undefined;
  /** Where the cell starts in its file: 0-based index among the cells, and (scripts) 1-based line. */
  index: number;
  line?: number | undefined;
}

export interface KernelInfo {
  /** Kernelspec name (`python3`, `xpython`, `ir`, …), if the file names one. */
  name?: string | undefined;
  displayName?: string | undefined;
  /** Lower-case language (`python`, `r`, `typescript`, `javascript`, …). */
  language?: string | undefined;
}

export interface Notebook {
  /** The file it was read from (absolute), for messages. */
  file: string;
  format: 'ipynb' | 'percent';
  /** nbformat major.minor as read (after any upgrade, 4.x); for percent scripts, 4.5. */
  nbformat: { major: number; minor: number };
  kernel: KernelInfo;
  /** The notebook's metadata (kernelspec, language_info, jupytext, …), kept for export. */
  metadata: Record<string, unknown>;
  cells: NotebookCell[];
}

/**
 * A notebook file that cannot be read: one message naming the file, the cell (0-based index, as
 * Jupyter counts) or line where that applies, and the problem. Never a half-read notebook.
 */
export class NotebookError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
    readonly where: { cell?: number | undefined; line?: number | undefined } = {},
  ) {
    const at = where.cell !== undefined ? `, cell ${where.cell}` : where.line !== undefined ? `, line ${where.line}` : '';
    super(`${file}${at}: ${problem}`);
    this.name = 'NotebookError';
  }
}
