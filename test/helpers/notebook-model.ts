// Notebooks built in memory for tests, as a reader would give them (indexes filled in).
import type { KernelInfo, Notebook, NotebookCell } from '../../src/notebooks/notebook.ts';

export type CellIn = Partial<NotebookCell> & { source: string };
export const md = (source: string, more: Partial<NotebookCell> = {}): CellIn => ({ type: 'markdown', source, ...more });
export const code = (source: string, more: Partial<NotebookCell> = {}): CellIn => ({ type: 'code', source, ...more });

export function notebook(cells: CellIn[], kernel: KernelInfo = { language: 'python' }, file = '/nb/Hello World (v2).ipynb'): Notebook {
  return {
    file,
    format: 'ipynb',
    nbformat: { major: 4, minor: 5 },
    kernel,
    metadata: {},
    cells: cells.map((c, index) => ({ type: 'code', tags: [], metadata: {}, outputs: [], ...c, index })),
  };
}
