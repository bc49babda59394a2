// Reading a notebook of either format, without the rest of the notebook machinery: `railbook run`
// reads the notebook first, to start its kernel while the rest of Railbook loads.
import path from 'node:path';
import { readIpynb } from './ipynb.ts';
import type { Notebook } from './notebook.ts';
import { PERCENT_EXTENSIONS } from './percent-languages.ts';
import { readPercent } from './percent.ts';

/** Reads a notebook of either format. Throws NotebookError (one clear message) for a bad file. */
export function readNotebook(file: string): Promise<Notebook> {
  return path.extname(file).toLowerCase() === '.ipynb' ? readIpynb(file) : readPercent(file);
}

/** A notebook file: .ipynb, or a script in a language percent scripts are written in. Not hidden, not `_helper.py`. */
export function isNotebookFile(name: string): boolean {
  if (name.startsWith('.') || name.startsWith('_') || name.endsWith('.d.ts')) return false;
  const ext = path.extname(name).toLowerCase();
  return ext === '.ipynb' || PERCENT_EXTENSIONS.includes(ext) || PERCENT_EXTENSIONS.includes(path.extname(name));
}
