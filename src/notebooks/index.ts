// The public API for workflow files that run notebook cells (what `railbook convert` writes).
export { notebookCells, type CellFlags, type NotebookCells, type NotebookCellsOptions } from './notebook-cells.ts';
export type { CellOutput } from './cell-output.ts';
