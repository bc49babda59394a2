// What follows `%%` on a percent-script cell marker: `# %% Optional title [markdown] key="value"`.
// jupytext's reading of it (cell_metadata.text_to_metadata): a title is the words before the
// first `key=`; `[markdown]`, `[md]` or `[raw]` in it is the cell type; extra `%` signs are a
// Spyder sub-cell depth; options are `key=value` with JSON (or Python literal) values, a bare
// `key` meaning null, or one JSON object (`# %% {"tags": ["x"]}`). jupytext keeps options it
// cannot parse as `incorrectly_encoded_metadata`; we refuse them instead, so a mistyped
// `tags=["parameters"` is an error the person sees, not a parameters cell silently lost.

import type { CellType } from './notebook.ts';

export class CellOptionsError extends Error {
  override name = 'CellOptionsError';
}

export interface CellOptions {
  type: CellType;
  /** Options as cell metadata (title, cell_depth, tags, …); `[md]` keeps `region_name: "md"` as jupytext does. */
  metadata: Record<string, unknown>;
}

export function parseCellOptions(text: string): CellOptions {
  text = text.trim();
  const curly = text.indexOf('{');
  const equal = text.indexOf('=');
  let title: string;
  let metadata: Record<string, unknown>;
  if (curly >= 0 && (equal < 0 || curly < equal)) {
    title = text.slice(0, curly).trim();
    const parser = new LiteralParser(text, curly);
    const value = parser.value();
    parser.end();
    if (!isRecord(value)) throw new CellOptionsError('expected a JSON object of cell metadata');
    metadata = value;
  } else if (equal >= 0) {
    const words = text.slice(0, equal).split(' ');
    while (words.length > 0 && words[words.length - 1] === '') words.pop();
    words.pop(); // the first option's key
    while (words.length > 0 && words[words.length - 1] === '') words.pop();
    title = words.join(' ');
    metadata = parseKeyValues(text.slice(title.length));
  } else {
    title = text;
    metadata = {};
  }

  let type: CellType = 'code';
  for (const marker of ['markdown', 'raw', 'md'] as const) {
    if (title.includes(`[${marker}]`)) {
      title = title.replace(`[${marker}]`, '').trim();
      type = marker === 'raw' ? 'raw' : 'markdown';
      if (marker === 'md') metadata['region_name'] = 'md';
      break;
    }
  }
  let depth = 0;
  while (title.startsWith('%')) {
    depth++;
    title = title.slice(1);
  }
  if (depth > 0) {
    metadata['cell_depth'] = depth;
    title = title.trim();
  }
  if (title !== '') metadata['title'] = title;
  return { type, metadata };
}

function parseKeyValues(text: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let at = 0;
  for (;;) {
    while (text[at] === ' ') at++;
    if (at >= text.length) return out;
    const key = /^[A-Za-z0-9_.-]+/.exec(text.slice(at))?.[0];
    if (!key) throw new CellOptionsError(`expected key=value at "${text.slice(at)}"`);
    at += key.length;
    if (text[at] !== '=') {
      if (at < text.length && text[at] !== ' ') throw new CellOptionsError(`expected key=value at "${text.slice(at - key.length)}"`);
      out[key] = null;
      continue;
    }
    const parser = new LiteralParser(text, at + 1);
    out[key] = parser.value();
    at = parser.position();
    if (at < text.length && text[at] !== ' ') throw new CellOptionsError(`unexpected "${text.slice(at)}" after the value of ${key}`);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON values, plus the Python literals jupytext also accepts ('single quotes', True, None). */
class LiteralParser {
  constructor(
    private readonly text: string,
    private at: number,
  ) {}

  position(): number {
    return this.at;
  }

  end(): void {
    this.space();
    if (this.at < this.text.length) throw new CellOptionsError(`unexpected "${this.text.slice(this.at)}" after the metadata`);
  }

  value(): unknown {
    this.space();
    const c = this.text[this.at];
    if (c === undefined) throw new CellOptionsError('a value is missing');
    if (c === '"' || c === "'") return this.string(c);
    if (c === '[') return this.list();
    if (c === '{') return this.object();
    const word = /^(-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?|true|false|null|True|False|None)(?![A-Za-z0-9_])/.exec(this.text.slice(this.at))?.[0];
    if (word === undefined) throw new CellOptionsError(`cannot read the value "${this.text.slice(this.at)}" (quote strings: key="value")`);
    this.at += word.length;
    if (word === 'true' || word === 'True') return true;
    if (word === 'false' || word === 'False') return false;
    if (word === 'null' || word === 'None') return null;
    return Number(word);
  }

  private string(quote: string): string {
    let out = '';
    for (let i = this.at + 1; i < this.text.length; i++) {
      const c = this.text[i]!;
      if (c === quote) {
        this.at = i + 1;
        return out;
      }
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.text[++i];
      if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(this.text.slice(i + 1, i + 5))) {
        out += String.fromCharCode(parseInt(this.text.slice(i + 1, i + 5), 16));
        i += 4;
      } else if (e !== undefined && 'nrtbf'.includes(e)) out += ({ n: '\n', r: '\r', t: '\t', b: '\b', f: '\f' } as Record<string, string>)[e];
      else if (e !== undefined) out += e;
    }
    throw new CellOptionsError(`unterminated string ${this.text.slice(this.at)}`);
  }

  private list(): unknown[] {
    this.at++;
    const out: unknown[] = [];
    for (;;) {
      this.space();
      if (this.eat(']')) return out;
      out.push(this.value());
      this.space();
      if (this.eat(']')) return out;
      if (!this.eat(',')) throw new CellOptionsError(`expected "," or "]" in ${this.text.trim()}`);
    }
  }

  private object(): Record<string, unknown> {
    this.at++;
    const out: Record<string, unknown> = {};
    for (;;) {
      this.space();
      if (this.eat('}')) return out;
      const q = this.text[this.at];
      if (q !== '"' && q !== "'") throw new CellOptionsError(`expected a quoted key in ${this.text.trim()}`);
      const key = this.string(q);
      this.space();
      if (!this.eat(':')) throw new CellOptionsError(`expected ":" after "${key}"`);
      out[key] = this.value();
      this.space();
      if (this.eat('}')) return out;
      if (!this.eat(',')) throw new CellOptionsError(`expected "," or "}" in ${this.text.trim()}`);
    }
  }

  private space(): void {
    while (this.text[this.at] === ' ' || this.text[this.at] === '\t') this.at++;
  }
  private eat(c: string): boolean {
    if (this.text[this.at] !== c) return false;
    this.at++;
    return true;
  }
}
