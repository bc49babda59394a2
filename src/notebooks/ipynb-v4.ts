// nbformat 4 (4.0–4.5) validation: turns the parsed JSON of a v4 notebook (or a v3 one already
// upgraded) into the Notebook model, or throws one NotebookError naming the first problem. It
// checks what the nbformat 4 schema requires and what later stages rely on (cell types, ids,
// source, outputs, kernelspec); unknown extra keys and metadata are left alone, as Jupyter does.

import { NotebookError, type CellType, type KernelInfo, type Notebook, type NotebookCell } from './notebook.ts';

export type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** "a number", "a list", "null"… — for messages about a value of the wrong type. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'number') return 'a number';
  if (typeof v === 'boolean') return 'a boolean';
  return typeof v;
}

/** nbformat's "multiline string": one string, or a list of lines to concatenate. */
export function isMultiline(v: unknown): v is string | string[] {
  return typeof v === 'string' || (Array.isArray(v) && v.every((s) => typeof s === 'string'));
}

const CELL_TYPES: readonly CellType[] = ['code', 'markdown', 'raw'];
// nbformat 4.5's cell id rule (schema definitions/cell_id).
const CELL_ID = /^[a-zA-Z0-9_-]{1,64}$/;
// Mimetypes whose data is JSON of any shape rather than text (schema definitions/misc/mimebundle).
const JSON_MIME = /^application\/(.*\+)?json$/;

export interface V4Options {
  /** Set when the JSON came out of the nbformat 3 upgrade: its kernel language, from the cells. */
  upgradedFrom3?: { language?: string | undefined };
}

export function notebookFromV4(nb: Json, file: string, minor: number, opts: V4Options = {}): Notebook {
  const metadata = nb.metadata;
  if (!isObject(metadata)) {
    throw new NotebookError(file, nb.metadata === undefined
      ? 'no top-level `metadata` object: a notebook needs one (use {} for none)'
      : `top-level \`metadata\` is ${describe(metadata)}, not an object`);
  }
  const cells = nb.cells;
  if (!Array.isArray(cells)) {
    const hint = 'worksheets' in nb ? ' (it has nbformat 3 `worksheets` but says it is nbformat 4)' : '';
    throw new NotebookError(file, cells === undefined
      ? `no \`cells\` list${hint}: the file is not a complete nbformat 4 notebook — open and save it in Jupyter`
      : `\`cells\` is ${describe(cells)}, not a list`);
  }
  const kernel = kernelInfo(metadata, file, opts.upgradedFrom3?.language);
  const seen = new Map<string, number>();
  const out = cells.map((raw, i) => cellFromV4(raw, i, file, seen));
  // Jupyter strips these transient keys when it reads a v4 file (v4/rwbase.py strip_transient);
  // after an upgrade from v3 it keeps orig_nbformat so consumers know the file was converted.
  const meta: Json = { ...metadata };
  delete meta.signature;
  if (!opts.upgradedFrom3) {
    delete meta.orig_nbformat;
    delete meta.orig_nbformat_minor;
  }
  return { file, format: 'ipynb', nbformat: { major: 4, minor }, kernel, metadata: meta, cells: out };
}

function kernelInfo(metadata: Json, file: string, fallbackLanguage: string | undefined): KernelInfo {
  const ks = metadata.kernelspec;
  const li = metadata.language_info;
  if (ks !== undefined && !isObject(ks)) throw new NotebookError(file, `metadata.kernelspec is ${describe(ks)}, not an object`);
  if (li !== undefined && !isObject(li)) throw new NotebookError(file, `metadata.language_info is ${describe(li)}, not an object`);
  const str = (obj: Json | undefined, key: string, where: string): string | undefined => {
    const v = obj?.[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw new NotebookError(file, `${where}.${key} is ${describe(v)}, not a string`);
    return v;
  };
  const name = str(ks, 'name', 'metadata.kernelspec');
  const displayName = str(ks, 'display_name', 'metadata.kernelspec');
  // The kernelspec's language is what picks the kernel; language_info is written back by the
  // kernel that last ran the notebook, so it fills in for kernelspecs that lack one.
  const language = str(ks, 'language', 'metadata.kernelspec') || str(li, 'name', 'metadata.language_info') || fallbackLanguage;
  return { name: name || undefined, displayName: displayName || undefined, language: language ? language.toLowerCase() : undefined };
}

function cellFromV4(raw: unknown, index: number, file: string, seen: Map<string, number>): NotebookCell {
  const fail = (problem: string): NotebookError => new NotebookError(file, problem, { cell: index });
  if (!isObject(raw)) throw fail(`is ${describe(raw)}, not a cell object`);

  const type = raw.cell_type;
  if (type === undefined) throw fail('has no `cell_type` (expected "code", "markdown" or "raw")');
  if (typeof type !== 'string' || !(CELL_TYPES as readonly string[]).includes(type)) {
    const hint = type === 'heading' ? ' — heading cells are nbformat 3; in nbformat 4 they are markdown cells starting with #' : '';
    throw fail(`unknown cell type ${JSON.stringify(type)} (expected "code", "markdown" or "raw")${hint}`);
  }

  let id: string | undefined;
  // Ids are required from 4.5 on, but Jupyter itself still reads 4.5 files without them (it
  // warns and makes random ones); a cell without one simply has no stable id here.
  if (raw.id !== undefined) {
    if (typeof raw.id !== 'string' || !CELL_ID.test(raw.id)) {
      throw fail(`bad cell id ${JSON.stringify(raw.id)}: an id is 1–64 characters, each a letter, digit, "-" or "_"`);
    }
    const first = seen.get(raw.id);
    if (first !== undefined) {
      throw fail(`duplicate cell id ${JSON.stringify(raw.id)} (cell ${first} has it too): cell ids must be unique — give this cell another id, or delete its "id" and let Jupyter make one`);
    }
    seen.set(raw.id, index);
    id = raw.id;
  }

  if (!isObject(raw.metadata)) {
    throw fail(raw.metadata === undefined ? 'has no `metadata` object (use {} for none)' : `\`metadata\` is ${describe(raw.metadata)}, not an object`);
  }
  const metadata: Json = { ...raw.metadata };
  delete metadata.trusted; // transient: Jupyter drops it on read
  const tags = metadata.tags ?? [];
  if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string')) {
    throw fail(`metadata.tags is ${describe(tags)}${Array.isArray(tags) ? ' holding something other than strings' : ''}: tags are a list of strings`);
  }

  if (raw.source === undefined) throw fail('has no `source` (a string, or a list of strings)');
  if (!isMultiline(raw.source)) throw fail(`\`source\` is ${describe(raw.source)}: it must be a string or a list of strings`);
  const source = typeof raw.source === 'string' ? raw.source : raw.source.join('');

  let outputs: Json[] = [];
  if (type === 'code') {
    if (!Array.isArray(raw.outputs)) {
      throw fail(raw.outputs === undefined ? 'code cell has no `outputs` list (use [] for none)' : `\`outputs\` is ${describe(raw.outputs)}, not a list`);
    }
    outputs = raw.outputs.map((o, j) => checkOutput(o, (p) => fail(`output ${j}: ${p}`)));
    const count = raw.execution_count;
    if (count === undefined) throw fail('code cell has no `execution_count` (use null for a cell not run)');
    if (count !== null && !(Number.isInteger(count) && (count as number) >= 0)) {
      throw fail(`\`execution_count\` is ${JSON.stringify(count)}: it must be a whole number ≥ 0, or null`);
    }
  } else if (raw.attachments !== undefined) {
    if (!isObject(raw.attachments)) throw fail(`\`attachments\` is ${describe(raw.attachments)}, not an object`);
    for (const [name, bundle] of Object.entries(raw.attachments)) {
      checkMimeBundle(bundle, (p) => fail(`attachment ${JSON.stringify(name)}: ${p}`));
    }
  }

  const cell: NotebookCell = { type: type as CellType, source, id, tags: tags as string[], metadata, outputs, index };
  // Kept so a written-back notebook (run -o, export --ipynb) has them: checked above.
  if (type === 'code') cell.executionCount = raw.execution_count as number | null;
  else if (raw.attachments !== undefined) cell.attachments = raw.attachments as Json;
  return cell;
}

function checkOutput(o: unknown, fail: (problem: string) => NotebookError): Json {
  if (!isObject(o)) throw fail(`is ${describe(o)}, not an output object`);
  const kind = o.output_type;
  const needString = (key: string): void => {
    if (typeof o[key] !== 'string') throw fail(`${String(kind)} output's \`${key}\` is ${describe(o[key])}, not a string`);
  };
  switch (kind) {
    case 'execute_result':
    case 'display_data':
      checkMimeBundle(o.data, (p) => fail(`\`data\` ${p}`));
      if (!isObject(o.metadata)) throw fail(`${kind} output has no \`metadata\` object`);
      if (kind === 'execute_result' && o.execution_count !== null && !(Number.isInteger(o.execution_count) && (o.execution_count as number) >= 0)) {
        throw fail('execute_result output needs an `execution_count` (a whole number ≥ 0, or null)');
      }
      break;
    case 'stream':
      needString('name');
      if (!isMultiline(o.text)) throw fail(`stream output's \`text\` is ${describe(o.text)}: it must be a string or a list of strings`);
      break;
    case 'error':
      needString('ename');
      needString('evalue');
      if (!Array.isArray(o.traceback) || !o.traceback.every((l) => typeof l === 'string')) {
        throw fail('error output\'s `traceback` must be a list of strings');
      }
      break;
    default:
      throw fail(`unknown output type ${JSON.stringify(kind)} (expected "execute_result", "display_data", "stream" or "error")`);
  }
  return o;
}

/** A mimetype-keyed object: text types hold a string or list of lines, JSON types anything. */
function checkMimeBundle(bundle: unknown, fail: (problem: string) => NotebookError): void {
  if (!isObject(bundle)) throw fail(`is ${describe(bundle)}, not an object keyed by mimetype`);
  for (const [mime, value] of Object.entries(bundle)) {
    if (!JSON_MIME.test(mime) && !isMultiline(value)) {
      throw fail(`${JSON.stringify(mime)} is ${describe(value)}: it must be a string or a list of strings`);
    }
  }
}
