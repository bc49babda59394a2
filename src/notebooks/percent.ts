// Reads jupytext's percent scripts (`# %%` / `// %%` cell markers) and their "hydrogen" variant
// into the Notebook model, following jupytext's own reader (DoublePercentScriptCellReader):
// an optional commented YAML header (`# ---` … `# ---`) whose `jupyter:` section is the notebook
// metadata; cells from one marker to the next, the blank line(s) before a marker not part of
// the cell; markdown and raw cells uncommented; magics, which the percent format writes
// commented (`# %matplotlib inline`), uncommented — hydrogen leaves them bare, so we leave them.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { NotebookError, type CellType, type KernelInfo, type Notebook, type NotebookCell } from './notebook.ts';
import { MagicRules, PERCENT_EXTENSIONS, scriptLanguage, StringTracker, type ScriptLanguage } from './percent-languages.ts';
import { CellOptionsError, parseCellOptions } from './percent-options.ts';
import { readPercentHeader } from './percent-header.ts';

/** Reads a percent script from disk. Throws NotebookError only. */
export async function readPercent(file: string): Promise<Notebook> {
  const absolute = path.resolve(file);
  let bytes: Buffer;
  try {
    bytes = await readFile(absolute);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new NotebookError(absolute, code === 'ENOENT' ? 'no such file' : `cannot read the file (${code ?? String(e)})`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new NotebookError(absolute, 'the file is not UTF-8 text; save it as UTF-8');
  }
  return parsePercent(text, absolute);
}

const BLANK = /^\s*$/;

/** Parses a percent script's text; `file` names it in messages and picks the comment syntax. */
export function parsePercent(text: string, file: string): Notebook {
  const ext = path.extname(file);
  const script = scriptLanguage(ext);
  if (!script) {
    throw new NotebookError(
      file,
      `"${ext || '(no extension)'}" is not a script extension with a known comment syntax; percent scripts end in ${PERCENT_EXTENSIONS.join(', ')}`,
    );
  }
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  if (lines[lines.length - 1] === '') lines.pop();

  const header = readPercentHeader(lines, script.comment, file);
  const metadata = header.metadata;
  const kernel = kernelInfo(metadata, script, file);
  const hydrogen = isHydrogen(metadata, lines.slice(header.bodyStart), script, kernel.language ?? script.language, file);

  const cells: NotebookCell[] = [];
  if (header.rawCell !== undefined) {
    cells.push({ type: 'raw', source: header.rawCell, tags: [], metadata: {}, outputs: [], index: 0, line: 1 });
  }
  const magics = new MagicRules(script.comment, (kernel.language ?? script.language).toLowerCase());
  const reader = new CellReader(lines, script, magics, hydrogen, ext.toLowerCase(), file);
  for (const segment of reader.segments(header.bodyStart)) {
    const cell = reader.cell(segment);
    if (cell) cells.push({ ...cell, index: cells.length });
  }
  return { file, format: 'percent', nbformat: { major: 4, minor: 5 }, kernel, metadata, cells };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The kernel: the header's kernelspec, else language_info / jupytext's main_language, else the extension. */
function kernelInfo(metadata: Record<string, unknown>, script: ScriptLanguage, file: string): KernelInfo {
  const spec = metadata['kernelspec'];
  if (spec !== undefined && !isRecord(spec)) throw new NotebookError(file, 'the header\'s "kernelspec" must be a mapping (name, display_name, language)', { line: 1 });
  for (const key of ['name', 'display_name', 'language']) {
    if (spec?.[key] !== undefined && typeof spec[key] !== 'string') {
      throw new NotebookError(file, `the header's kernelspec ${key} must be text`, { line: 1 });
    }
  }
  const info = isRecord(metadata['language_info']) ? metadata['language_info'] : {};
  const jupytext = isRecord(metadata['jupytext']) ? metadata['jupytext'] : {};
  const language = [spec?.['language'], info['name'], jupytext['main_language']].find((l): l is string => typeof l === 'string' && l !== '');
  if (spec?.['name'] !== undefined) {
    return { name: spec['name'] as string, displayName: spec['display_name'] as string | undefined, language: (language ?? script.language).toLowerCase() };
  }
  const lang = (language ?? script.language).toLowerCase();
  // The extension's usual kernel only when the language is the extension's own.
  return { name: lang === script.language ? script.kernel : undefined, language: lang };
}

/**
 * The hydrogen variant: named so in the header, or (as jupytext guesses it) a script whose code
 * has a magic left uncommented. Any other jupytext format named in the header is not ours.
 */
function isHydrogen(metadata: Record<string, unknown>, body: string[], script: ScriptLanguage, language: string, file: string): boolean {
  const jupytext = isRecord(metadata['jupytext']) ? metadata['jupytext'] : {};
  const repr = isRecord(jupytext['text_representation']) ? jupytext['text_representation'] : {};
  const named = repr['format_name'];
  if (named === 'hydrogen') return true;
  if (named === 'percent') return false;
  if (typeof named === 'string') {
    throw new NotebookError(file, `this is a jupytext "${named}" script, not a percent one; convert it with: jupytext --to ${script.language === 'python' ? 'py' : path.extname(file).slice(1)}:percent ${path.basename(file)}`, { line: 1 });
  }
  const magics = new MagicRules(script.comment, language.toLowerCase());
  const strings = new StringTracker(script.comment, language.toLowerCase());
  for (const line of body) {
    const quoted = strings.isQuoted();
    strings.read(line);
    if (!quoted && magics.isBareMagic(line)) return true;
  }
  return false;
}

interface Segment {
  /** Index of the marker line, or undefined for the text before the first marker. */
  marker: number | undefined;
  start: number;
  end: number;
}

class CellReader {
  private readonly startRe: RegExp;
  private readonly altRe: RegExp;
  private readonly escapedCodeStart: RegExp;

  constructor(
    private readonly lines: string[],
    private readonly script: ScriptLanguage,
    private readonly magics: MagicRules,
    private readonly hydrogen: boolean,
    private readonly ext: string,
    private readonly file: string,
  ) {
    const c = script.comment.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
    // `# %%` followed by a space and options (`%%%` for Spyder sub-cells); or a bare `# %%`,
    // `# <codecell>` or `# In[3]:` — jupytext accepts both.
    this.startRe = new RegExp(`^\\s*${c}\\s*%%(%*)\\s(.*)$`);
    this.altRe = new RegExp(`^\\s*${c}\\s*(%%|<codecell>|In\\[[0-9 ]*\\]:?)\\s*$`);
    // jupytext escapes its "light" format's `# +` markers in code as `# # +`: undo that once.
    this.escapedCodeStart = new RegExp(`^(${c} |${c})*(${c}|${c} )\\+`);
  }

  isMarker(line: string): boolean {
    return this.startRe.test(line) || this.altRe.test(line);
  }

  segments(from: number): Segment[] {
    const out: Segment[] = [];
    let current: Segment = { marker: undefined, start: from, end: from };
    // Reset per cell, as jupytext does, so one stray triple quote cannot swallow the notebook.
    let strings = new StringTracker(this.script.comment, this.script.language);
    for (let i = from; i < this.lines.length; i++) {
      const line = this.lines[i]!;
      if (!strings.isQuoted() && this.isMarker(line)) {
        current.end = i;
        out.push(current);
        current = { marker: i, start: i + 1, end: i + 1 };
        strings = new StringTracker(this.script.comment, this.script.language);
        continue;
      }
      strings.read(line);
    }
    current.end = this.lines.length;
    out.push(current);
    return out;
  }

  cell(segment: Segment): Omit<NotebookCell, 'index'> | undefined {
    let content = this.lines.slice(segment.start, segment.end);
    if (segment.marker === undefined && content.every((l) => BLANK.test(l))) return undefined;
    // The blank line (two after a Python def/class, PEP 8) before the next marker separates cells.
    const withMarker = segment.marker === undefined ? content : [this.lines[segment.marker]!, ...content];
    const n = withMarker.length;
    if (n >= 3 && !BLANK.test(withMarker[n - 3]!) && BLANK.test(withMarker[n - 2]!) && BLANK.test(withMarker[n - 1]!)) content = content.slice(0, -2);
    else if (n > 0 && BLANK.test(withMarker[n - 1]!)) content = content.slice(0, -1);

    const lineNo = (segment.marker ?? segment.start) + 1;
    let type: CellType = 'code';
    let metadata: Record<string, unknown> = {};
    if (segment.marker !== undefined) {
      const markerLine = this.lines[segment.marker]!;
      const match = this.startRe.exec(markerLine);
      if (match) {
        const uncommented = uncommentLine(markerLine, this.script.comment);
        try {
          ({ type, metadata } = parseCellOptions(uncommented.slice(uncommented.indexOf('%%') + 2)));
        } catch (e) {
          if (!(e instanceof CellOptionsError)) throw e;
          throw new NotebookError(this.file, `cannot read the cell options in "${markerLine.trim()}": ${e.message}`, { line: lineNo });
        }
      }
    }
    const declared = metadata['cell_type'];
    if (declared !== undefined) {
      if (declared !== 'code' && declared !== 'markdown' && declared !== 'raw') {
        throw new NotebookError(this.file, `unknown cell_type ${JSON.stringify(declared)}: use code, markdown or raw`, { line: lineNo });
      }
      type = declared;
      delete metadata['cell_type'];
    }
    const tags = metadata['tags'] ?? [];
    if (!Array.isArray(tags) || !tags.every((t): t is string => typeof t === 'string')) {
      throw new NotebookError(this.file, `tags must be a list of strings, like tags=["parameters"]`, { line: lineNo });
    }
    if (type === 'code' && !isActive('ipynb', metadata, tags, true)) type = 'raw';

    const source = this.extract(content, type, metadata, tags);
    return { type, source: source.join('\n'), tags: [...tags], metadata, outputs: [], line: lineNo };
  }

  /** The cell's text as Jupyter has it: markdown and inactive cells uncommented, magics restored. */
  private extract(lines: string[], type: CellType, metadata: Record<string, unknown>, tags: string[]): string[] {
    const extNoDot = this.ext.slice(1);
    if (!isActive(extNoDot, metadata, tags, type === 'code')) {
      // Python text cells may be a triple-quoted string instead of comments.
      if (this.ext === '.py') {
        const quoted = unquoteTriple(lines.join('\n').trim());
        if (quoted !== undefined) return quoted.split('\n');
      }
      return lines.map((l) => uncommentLine(l, this.script.comment));
    }
    // A text cell explicitly active in this script (`active="py"`) is written uncommented.
    if (type !== 'code') return lines;
    const out = [...lines];
    if (!this.hydrogen) {
      const strings = new StringTracker(this.script.comment, this.script.language);
      let continuation = false;
      for (let i = 0; i < out.length; i++) {
        const line = out[i]!;
        const quoted = strings.isQuoted();
        strings.read(line);
        if (quoted) continue;
        if (continuation || this.magics.isMagic(line)) {
          out[i] = this.magics.uncomment(line);
          continuation = this.magics.continues(line);
        }
      }
    }
    for (let i = 0; i < out.length; i++) {
      const line = out[i]!;
      if (!this.escapedCodeStart.test(line)) continue;
      const once = this.magics.uncomment(line);
      if (this.escapedCodeStart.test(once)) out[i] = once;
    }
    return out;
  }
}

/** Strips the line comment and one space, when the line starts with it (jupytext's `uncomment`). */
function uncommentLine(line: string, comment: string): string {
  if (line.startsWith(comment + ' ')) return line.slice(comment.length + 1);
  if (line.startsWith(comment)) return line.slice(comment.length);
  return line;
}

/** jupytext's `is_active`: is the cell's content live in files of extension `ext` (no dot)? */
function isActive(ext: string, metadata: Record<string, unknown>, tags: string[], fallback: boolean): boolean {
  const runControl = metadata['run_control'];
  if (isRecord(runControl) && runControl['frozen'] === true) return ext === 'ipynb';
  const activeTag = tags.find((t) => t.startsWith('active-'));
  if (activeTag) return activeTag.split('-').includes(ext);
  const active = metadata['active'];
  if (active === undefined) return fallback;
  return typeof active === 'string' && active.split(/[.,]/).includes(ext);
}

/** The text of a `"""…"""` / `'''…'''` (optionally r-prefixed) string, or undefined. */
function unquoteTriple(content: string): string | undefined {
  for (const prefix of ['', 'r', 'R']) {
    for (const quote of ['"""', "'''"]) {
      const left = prefix + quote;
      if (content.length >= left.length + quote.length && content.startsWith(left) && content.endsWith(quote)) {
        let inner = content.slice(left.length, content.length - quote.length);
        if (inner.startsWith('\n')) inner = inner.slice(1);
        if (inner.endsWith('\n')) inner = inner.slice(0, -1);
        return inner;
      }
    }
  }
  return undefined;
}
