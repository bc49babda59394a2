// The .ipynb reader: JSON → version check → (nbformat 3 upgrade) → nbformat 4 validation → the
// Notebook model. Every failure is one NotebookError naming the file, the cell where there is one,
// and the first problem found; nothing half-read ever comes back.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { NotebookError, type Notebook } from './notebook.ts';
import { describe, isObject, notebookFromV4 } from './ipynb-v4.ts';
import { upgradeV3 } from './ipynb-v3.ts';

const TOO_OLD = 'open and save it in Jupyter (or run `jupyter nbconvert --to notebook`), which rewrites it as nbformat 4';

export async function readIpynb(file: string): Promise<Notebook> {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder, not a file' : (e as Error).message;
    throw new NotebookError(abs, `cannot be read: ${why}`);
  }
  return parseIpynb(text, abs);
}

export function parseIpynb(text: string, file: string): Notebook {
  const abs = path.resolve(file);
  const nb = parseJson(text, abs);
  if (!isObject(nb)) throw new NotebookError(abs, `not a Jupyter notebook: the file holds ${describe(nb)}, not a notebook object`);

  const major = nb.nbformat;
  if (major === undefined) throw new NotebookError(abs, 'not a Jupyter notebook: it has no `nbformat` version field');
  if (!Number.isInteger(major)) throw new NotebookError(abs, `\`nbformat\` is ${JSON.stringify(major)}: it must be a whole number (4 for current notebooks)`);
  if ((major as number) < 3) throw new NotebookError(abs, `nbformat ${major as number} is too old: ${TOO_OLD}`);
  if ((major as number) > 4) {
    throw new NotebookError(abs, `nbformat ${major as number} is newer than this reader understands (nbformat 3 and 4.0–4.5): save it as nbformat 4 from Jupyter`);
  }
  if (major === 3) {
    const { nb: v4, language } = upgradeV3(nb, abs);
    return notebookFromV4(v4, abs, 5, { upgradedFrom3: { language } });
  }

  const minor = nb.nbformat_minor;
  if (minor === undefined) throw new NotebookError(abs, 'no `nbformat_minor` field: an nbformat 4 notebook needs one (0–5)');
  if (!Number.isInteger(minor) || (minor as number) < 0) {
    throw new NotebookError(abs, `\`nbformat_minor\` is ${JSON.stringify(minor)}: it must be a whole number (0–5)`);
  }
  // A newer 4.x minor is read like 4.5 (Jupyter reads newer minors of its major version too):
  // minors only add optional things, and anything this reader cannot use is still refused below.
  return notebookFromV4(nb, abs, minor as number);
}

function parseJson(text: string, file: string): unknown {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text; // editors on Windows add a BOM
  if (body.trim() === '') throw new NotebookError(file, 'the file is empty: it is not a notebook (yet)');
  try {
    return JSON.parse(body);
  } catch (e) {
    const message = (e as Error).message;
    // V8 says "… in JSON at position N": turn the offset into the line and column an editor shows.
    const at = /^(.*?)(?: in JSON)? at position (\d+)/.exec(message);
    const pos = at ? Number(at[2]) : undefined;
    // An error at the very end (or V8's "Unexpected end") means the text stops mid-notebook.
    if (/unexpected end of json input/i.test(message) || (pos !== undefined && pos >= body.trimEnd().length)) {
      throw new NotebookError(file, 'not valid JSON: the file ends too early (truncated, or saved while being written?)');
    }
    if (!at || pos === undefined) throw new NotebookError(file, `not valid JSON: ${message}`);
    const before = body.slice(0, pos).split('\n');
    const line = before.length;
    const column = before[before.length - 1]!.length + 1;
    throw new NotebookError(file, `not valid JSON: ${at[1]} (column ${column})`, { line });
  }
}
