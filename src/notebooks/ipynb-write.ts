// The .ipynb writer: the Notebook model → nbformat 4.5 JSON text, byte for byte the way Jupyter
// writes a notebook (nbformat's `writes`: keys sorted, 1-space indent, ", "/": " separators, no
// ASCII escaping, a final newline; text split into lines by `split_lines`), so a notebook Railbook
// writes back (`run -o`, `export --ipynb`) opens in Jupyter and diffs cleanly against one Jupyter
// saved. Pure: no I/O, and the model passed in is not changed.

import type { Notebook, NotebookCell } from './notebook.ts';
import { isObject, type Json } from './ipynb-v4.ts';

// nbformat 4.5's cell id rule (schema definitions/cell_id), as the reader checks it.
const CELL_ID = /^[a-zA-Z0-9_-]{1,64}$/;
// Mimetypes Jupyter splits into lines besides text/* (nbformat v4/rwbase.py _non_text_split_mimes).
const SPLIT_MIMES = new Set(['application/javascript', 'image/svg+xml']);
// Python's str.splitlines() line boundaries, which Jupyter's split_lines uses.
const LINE_END = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/g;

export function writeIpynb(nb: Notebook): string {
  const ids = cellIds(nb.cells);
  const doc: Json = {
    cells: nb.cells.map((cell, i) => cellJson(cell, ids[i]!)),
    metadata: notebookMetadata(nb),
    nbformat: 4,
    nbformat_minor: 5,
  };
  return `${jupyterJson(doc, '')}\n`;
}

/**
 * Every cell's id: its own where it has a valid one not already taken, otherwise `cell-<index>`
 * (suffixed until unique). Deterministic, so writing the same notebook twice gives the same file,
 * and readable, since step ids come from cell ids once the file is read again.
 */
export function cellIds(cells: readonly NotebookCell[]): string[] {
  const taken = new Set<string>();
  const own = cells.map((c) => {
    if (c.id === undefined || !CELL_ID.test(c.id) || taken.has(c.id)) return undefined;
    taken.add(c.id);
    return c.id;
  });
  return own.map((id, i) => {
    if (id !== undefined) return id;
    let fresh = `cell-${i}`;
    for (let n = 2; taken.has(fresh); n++) fresh = `cell-${i}-${n}`;
    taken.add(fresh);
    return fresh;
  });
}

function cellJson(cell: NotebookCell, id: string): Json {
  const metadata: Json = { ...cell.metadata };
  delete metadata.trusted; // transient: Jupyter strips it on write (rwbase.strip_transient)
  // `tags` is the model's word on tags (an injected-parameters cell gets its tag there); the
  // schema wants them unique.
  if (cell.tags.length > 0 || 'tags' in metadata) metadata.tags = [...new Set(cell.tags)];
  const out: Json = { cell_type: cell.type, id, metadata, source: splitLines(cell.source) };
  if (cell.type === 'code') {
    out.execution_count = cell.executionCount ?? null;
    out.outputs = cell.outputs.map(outputJson);
  } else if (cell.attachments !== undefined) {
    out.attachments = Object.fromEntries(
      Object.entries(cell.attachments).map(([name, bundle]) => [name, isObject(bundle) ? splitBundle(bundle) : bundle]),
    );
  }
  return out;
}

function outputJson(output: Json): Json {
  const out: Json = { ...output };
  // A kernel's display_data message carries `transient` (display ids); it is not part of a file.
  delete out.transient;
  if ((out.output_type === 'execute_result' || out.output_type === 'display_data') && isObject(out.data)) {
    out.data = splitBundle(out.data);
  } else if (out.output_type === 'stream' && typeof out.text === 'string') {
    out.text = splitLines(out.text);
  }
  return out;
}

/** Text mimetypes split into lines as Jupyter stores them; base64 images and JSON left whole. */
function splitBundle(bundle: Json): Json {
  const out: Json = {};
  for (const [mime, value] of Object.entries(bundle)) {
    out[mime] = typeof value === 'string' && (mime.startsWith('text/') || SPLIT_MIMES.has(mime)) ? splitLines(value) : value;
  }
  return out;
}

/**
 * The notebook metadata, with a kernelspec and language_info the schema accepts: filled from the
 * model's kernel where the file had none (a percent script's extension names only a language),
 * and left out where not even a name is known rather than written invalid.
 */
function notebookMetadata(nb: Notebook): Json {
  const meta: Json = { ...nb.metadata };
  // Transient keys Jupyter strips on write; orig_nbformat only describes the file that was read.
  delete meta.orig_nbformat;
  delete meta.orig_nbformat_minor;
  delete meta.signature;

  // A kernelspec the file had gets only the fields the schema requires; a new one also the language.
  const had = isObject(meta.kernelspec);
  const spec: Json = had ? { ...(meta.kernelspec as Json) } : {};
  if (typeof spec.name !== 'string' && nb.kernel.name) spec.name = nb.kernel.name;
  if (typeof spec.display_name !== 'string' && typeof spec.name === 'string') spec.display_name = nb.kernel.displayName ?? spec.name;
  if (!had && nb.kernel.language && typeof spec.name === 'string') spec.language = nb.kernel.language;
  if (typeof spec.name === 'string') meta.kernelspec = spec;
  else delete meta.kernelspec;

  const info: Json = isObject(meta.language_info) ? { ...meta.language_info } : {};
  if (typeof info.name !== 'string' && nb.kernel.language) info.name = nb.kernel.language;
  if (typeof info.name === 'string') meta.language_info = info;
  else delete meta.language_info;
  return meta;
}

/** Python's str.splitlines(keepends=True): each line with its ending, none after a final one. */
export function splitLines(text: string): string[] {
  const lines: string[] = [];
  let start = 0;
  for (const m of text.matchAll(LINE_END)) {
    const end = m.index + m[0].length;
    lines.push(text.slice(start, end));
    start = end;
  }
  if (start < text.length) lines.push(text.slice(start));
  return lines;
}

/**
 * json.dumps(…, sort_keys=True, indent=1, ensure_ascii=False) as nbformat calls it. Written out by
 * hand because JSON.stringify cannot sort keys that look like integers ("10" before "9"), which
 * JavaScript objects always list first in numeric order.
 */
function jupyterJson(value: unknown, indent: string): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const inner = `${indent} `;
    return `[\n${value.map((v) => inner + jupyterJson(v === undefined ? null : v, inner)).join(',\n')}\n${indent}]`;
  }
  if (isObject(value)) {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort(byCodePoint);
    if (keys.length === 0) return '{}';
    const inner = `${indent} `;
    return `{\n${keys.map((k) => `${inner}${JSON.stringify(k)}: ${jupyterJson(value[k], inner)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Python orders str keys by code point; JavaScript's default sort compares UTF-16 units. */
function byCodePoint(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}
