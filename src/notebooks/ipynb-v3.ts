// nbformat 3 → 4 upgrade on read, doing what Jupyter's reader does (nbformat v3 `rejoin_lines`,
// then `v4.convert.upgrade`): worksheets flattened, heading cells become
// markdown headings, `input` → `source`, `prompt_number` → `execution_count`, v3 output types and
// short mime keys renamed. The result is v4-shaped JSON that then goes through the v4 validation,
// so a v3 file is held to the same rules as a v4 one. Only what the upgrade itself needs is
// checked here, with the v3 field names the person will find in the file.

import { NotebookError } from './notebook.ts';
import { describe, isMultiline, isObject, type Json } from './ipynb-v4.ts';

// v3's short output keys and the mimetypes v4 uses instead (nbformat v4/convert.py _mime_map).
const MIME_OF: ReadonlyArray<readonly [string, string]> = [
  ['text', 'text/plain'],
  ['html', 'text/html'],
  ['svg', 'image/svg+xml'],
  ['png', 'image/png'],
  ['jpeg', 'image/jpeg'],
  ['latex', 'text/latex'],
  ['json', 'application/json'],
  ['javascript', 'application/javascript'],
];
// Output keys v3 files store split into lines (nbformat v3/rwbase.py _multiline_outputs).
const MULTILINE_OUTPUTS = ['text', 'html', 'svg', 'latex', 'javascript', 'json'];

export interface UpgradedV3 {
  nb: Json;
  /** The code cells' `language`, which v3 kept per cell and v4 drops: the kernel's, if no kernelspec says. */
  language: string | undefined;
}

export function upgradeV3(nb: Json, file: string): UpgradedV3 {
  if (!isObject(nb.metadata)) {
    throw new NotebookError(file, nb.metadata === undefined
      ? 'nbformat 3 notebook without a top-level `metadata` object: open and save it in Jupyter'
      : `top-level \`metadata\` is ${describe(nb.metadata)}, not an object`);
  }
  if (!Array.isArray(nb.worksheets)) {
    throw new NotebookError(file, nb.worksheets === undefined
      ? 'nbformat 3 notebook without `worksheets`: open and save it in Jupyter'
      : `\`worksheets\` is ${describe(nb.worksheets)}, not a list`);
  }
  const cells: Json[] = [];
  let language: string | undefined;
  nb.worksheets.forEach((ws, w) => {
    if (!isObject(ws) || !Array.isArray(ws.cells)) throw new NotebookError(file, `worksheet ${w} has no \`cells\` list`);
    for (const raw of ws.cells) {
      // Cells are numbered across worksheets, as they are after the upgrade (what Jupyter shows).
      const index = cells.length;
      const fail = (problem: string): NotebookError => new NotebookError(file, problem, { cell: index });
      if (!isObject(raw)) throw fail(`is ${describe(raw)}, not a cell object`);
      if (raw.cell_type === 'code' && typeof raw.language === 'string' && language === undefined) language = raw.language;
      cells.push(upgradeCell({ ...raw }, fail));
    }
  });
  const metadata: Json = { ...nb.metadata };
  delete metadata.name;
  delete metadata.signature;
  // Recorded so consumers know the file was converted; a v3 file converted from v2 says so itself.
  const positive = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;
  metadata.orig_nbformat = positive(nb.orig_nbformat) ? nb.orig_nbformat : 3;
  metadata.orig_nbformat_minor = positive(nb.orig_nbformat_minor) ? nb.orig_nbformat_minor : 0;
  return { nb: { nbformat: 4, nbformat_minor: 5, metadata, cells }, language };
}

/** v3's reader joins split lines with "" when they kept their newlines, "\n" when they did not. */
function joinLines(v: unknown, what: string, fail: (p: string) => NotebookError): unknown {
  if (!Array.isArray(v)) return v;
  if (!isMultiline(v)) throw fail(`\`${what}\` is a list holding something other than strings`);
  return v.length > 0 && /[\n\r]$/.test(v[0]!) ? v.join('') : v.join('\n');
}

function upgradeCell(cell: Json, fail: (p: string) => NotebookError): Json {
  if (cell.metadata === undefined) cell.metadata = {};
  if (isObject(cell.metadata)) cell.metadata = { ...cell.metadata };
  switch (cell.cell_type) {
    case 'code': {
      const input = joinLines(cell.input ?? '', 'input', fail);
      if (typeof input !== 'string') throw fail(`\`input\` is ${describe(input)}: it must be a string or a list of strings`);
      delete cell.language;
      if ('collapsed' in cell) {
        if (isObject(cell.metadata)) cell.metadata.collapsed = cell.collapsed;
        delete cell.collapsed;
      }
      delete cell.input;
      cell.source = input;
      cell.execution_count = cell.prompt_number ?? null;
      delete cell.prompt_number;
      if (!Array.isArray(cell.outputs)) throw fail(`code cell's \`outputs\` is ${describe(cell.outputs)}, not a list`);
      cell.outputs = cell.outputs.map((o, j) => upgradeOutput(o, (p) => fail(`output ${j}: ${p}`)));
      return cell;
    }
    case 'heading': {
      const level = cell.level ?? 1;
      // nbformat 3 sets no upper bound; like Jupyter, a level 7+ becomes 7+ '#' (plain text in markdown).
      if (!Number.isInteger(level) || (level as number) < 1) {
        throw fail(`heading cell's \`level\` is ${JSON.stringify(level)}: it must be a whole number from 1 (1–6 in practice)`);
      }
      const text = joinLines(cell.source ?? '', 'source', fail);
      if (typeof text !== 'string') throw fail(`\`source\` is ${describe(text)}: it must be a string or a list of strings`);
      delete cell.level;
      cell.cell_type = 'markdown';
      cell.source = `${'#'.repeat(level as number)} ${splitLines(text).join(' ')}`;
      return cell;
    }
    case 'html': // v3 allowed it; Jupyter turns it into markdown (which may hold HTML)
    case 'markdown':
    case 'raw':
      cell.cell_type = cell.cell_type === 'html' ? 'markdown' : cell.cell_type;
      cell.source = joinLines(cell.source, 'source', fail);
      if ('rendered' in cell) cell.rendered = joinLines(cell.rendered, 'rendered', fail);
      return cell;
    default:
      throw fail(`unknown nbformat 3 cell type ${JSON.stringify(cell.cell_type)} (expected "code", "markdown", "raw" or "heading")`);
  }
}

function upgradeOutput(raw: unknown, fail: (p: string) => NotebookError): Json {
  if (!isObject(raw)) throw fail(`is ${describe(raw)}, not an output object`);
  const o: Json = { ...raw };
  for (const key of MULTILINE_OUTPUTS) if (key in o) o[key] = joinLines(o[key], key, fail);
  switch (o.output_type) {
    case 'pyout':
    case 'display_data': {
      o.metadata ??= {};
      if (o.output_type === 'pyout') {
        o.output_type = 'execute_result';
        o.execution_count = o.prompt_number ?? null;
        delete o.prompt_number;
      }
      // Everything but the envelope is data, keyed by v3's short names or already by mimetype.
      const data: Json = {};
      for (const key of Object.keys(o)) {
        if (key === 'output_type' || key === 'execution_count' || key === 'metadata') continue;
        data[key] = o[key];
        delete o[key];
      }
      o.data = toMimeKeys(data);
      if (isObject(o.metadata)) o.metadata = toMimeKeys({ ...o.metadata });
      if ('application/json' in data) {
        const json = data['application/json'];
        try {
          data['application/json'] = JSON.parse(String(json));
        } catch {
          throw fail('its `json` data is not valid JSON');
        }
      }
      return o;
    }
    case 'pyerr':
      o.output_type = 'error';
      return o;
    case 'stream':
      o.name = o.stream ?? 'stdout';
      delete o.stream;
      return o;
    default:
      throw fail(`unknown nbformat 3 output type ${JSON.stringify(o.output_type)} (expected "pyout", "display_data", "pyerr" or "stream")`);
  }
}

function toMimeKeys(d: Json): Json {
  for (const [alias, mime] of MIME_OF) {
    if (alias in d) {
      d[mime] = d[alias];
      delete d[alias];
    }
  }
  return d;
}

/** Python's str.splitlines(): any line break, and no empty piece after a final one. */
function splitLines(s: string): string[] {
  const parts = s.split(/\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/);
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}
