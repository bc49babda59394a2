// A percent script's header, as jupytext reads it (jupytext/header.py): an optional `#!` line
// and `coding:` line, then a commented YAML block between `# ---` lines. Only its `jupyter:`
// section is notebook metadata (kernelspec, jupytext's settings); other top-level keys are
// front matter that jupytext keeps, unparsed, as a first raw cell `---\n…\n---` — so do we.

import { NotebookError } from './notebook.ts';
import { parseYamlSubset, YamlSubsetError } from './percent-yaml.ts';

export interface PercentHeader {
  metadata: Record<string, unknown>;
  /** First line (0-based) after the header and the blank line that follows it. */
  bodyStart: number;
  /** Front matter outside `jupyter:`, as the raw cell jupytext makes of it. */
  rawCell?: string | undefined;
}

const FENCE = /^---\s*$/;

export function readPercentHeader(lines: string[], comment: string, file: string): PercentHeader {
  const jupytext: Record<string, unknown> = {};
  let at = 0;
  if (lines[0]?.startsWith('#!')) {
    jupytext['executable'] = lines[0].slice(2);
    at = 1;
  }
  const encodingRe = new RegExp(`^[ \\t\\f]*${escapeRe(comment)}.*?coding[:=][ \\t]*([-_.a-zA-Z0-9]+)`);
  const encoding = at < lines.length && at <= 1 ? encodingRe.exec(lines[at]!) : null;
  if (encoding) {
    if (encoding[1]!.toLowerCase() !== 'utf-8' && encoding[1]!.toLowerCase() !== 'utf8') {
      throw new NotebookError(file, `the file declares encoding ${encoding[1]}; only UTF-8 is read: save it as UTF-8`, { line: at + 1 });
    }
    jupytext['encoding'] = lines[at];
    at++;
  }
  const withExtras = (metadata: Record<string, unknown>): Record<string, unknown> => {
    if (Object.keys(jupytext).length === 0) return metadata;
    const existing = metadata['jupytext'];
    metadata['jupytext'] = { ...(isRecord(existing) ? existing : {}), ...jupytext };
    return metadata;
  };

  const open = lines[at];
  if (open === undefined || !open.startsWith(comment) || !FENCE.test(uncomment(open, comment))) {
    return { metadata: withExtras({}), bodyStart: at };
  }
  const openLine = at;
  const jupyter: string[] = [];
  const front: string[] = [];
  // File line (0-based) of each `jupyter:` section line, for messages about the YAML.
  const jupyterLines: number[] = [];
  let inJupyter = false;
  let close = -1;
  for (let i = openLine + 1; i < lines.length; i++) {
    const raw = lines[i]!;
    if (!raw.startsWith(comment)) break;
    const line = uncomment(raw, comment);
    if (FENCE.test(line)) {
      close = i;
      break;
    }
    if (/^jupyter\s*:\s*$/.test(line)) inJupyter = true;
    else if (line !== '' && !/^\s/.test(line)) inJupyter = false;
    (inJupyter ? jupyter : front).push(line);
    if (inJupyter) jupyterLines.push(i);
  }
  if (close < 0) {
    throw new NotebookError(
      file,
      `the YAML header opened here with "${open.trim()}" is never closed: end it with a line "${comment} ---" before the first cell`,
      { line: openLine + 1 },
    );
  }
  let metadata: Record<string, unknown> = {};
  if (jupyter.length > 0) {
    let parsed: Record<string, unknown>;
    try {
      parsed = parseYamlSubset(jupyter);
    } catch (e) {
      if (!(e instanceof YamlSubsetError)) throw e;
      throw new NotebookError(file, `cannot read the YAML header: ${e.message}`, { line: (jupyterLines[e.line] ?? openLine) + 1 });
    }
    const section = parsed['jupyter'];
    if (section !== null && !isRecord(section)) {
      throw new NotebookError(file, 'the header\'s "jupyter:" must hold a mapping (kernelspec:, jupytext:, …)', { line: (jupyterLines[0] ?? openLine) + 1 });
    }
    metadata = section ?? {};
  }
  // One blank line after the header belongs to it.
  let bodyStart = close + 1;
  if (bodyStart < lines.length && /^\s*$/.test(uncomment(lines[bodyStart]!, comment))) bodyStart++;
  const rawCell = front.some((l) => l.trim() !== '') ? ['---', ...front, '---'].join('\n') : undefined;
  return { metadata: withExtras(metadata), bodyStart, rawCell };
}

function uncomment(line: string, comment: string): string {
  if (line.startsWith(comment + ' ')) return line.slice(comment.length + 1);
  if (line.startsWith(comment)) return line.slice(comment.length);
  return line;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
