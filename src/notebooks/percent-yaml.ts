// The YAML subset a percent script's header holds. jupytext writes it with PyYAML's
// `safe_dump(default_flow_style=False)`: block mappings and sequences, plain / single- / double-
// quoted scalars (long ones wrapped onto indented lines), `[]` and `{}` for empty collections.
// No YAML package is a dependency, so this reads exactly that and refuses the rest (anchors,
// tags, block scalars, several documents) with a message rather than guessing.

/** A header line that cannot be read; `line` is 0-based within the lines given. */
export class YamlSubsetError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
    this.name = 'YamlSubsetError';
  }
}

interface Line {
  no: number;
  indent: number;
  text: string;
}

const UNSUPPORTED_START = /^[&*!|>%@`]/;

/** Parses the header's YAML (comment prefix already removed). The root must be a mapping. */
export function parseYamlSubset(lines: string[]): Record<string, unknown> {
  const all: Line[] = lines.map((raw, no) => {
    if (raw.includes('\t') && /^\s*\t/.test(raw)) throw new YamlSubsetError(no, 'tabs cannot indent YAML; use spaces');
    const text = raw.trimStart();
    return { no, indent: raw.length - text.length, text: text.trimEnd() };
  });
  const reader = new Reader(all);
  reader.skipBlank();
  if (reader.done()) return {};
  const first = reader.peek()!;
  if (isSequenceItem(first.text)) throw new YamlSubsetError(first.no, 'the header must be a mapping (key: value), not a list');
  const value = reader.mapping(first.indent);
  reader.skipBlank();
  const rest = reader.peek();
  if (rest) throw new YamlSubsetError(rest.no, `unexpected indentation or text: "${rest.text}"`);
  return value;
}

function isSequenceItem(text: string): boolean {
  return text === '-' || text.startsWith('- ');
}

class Reader {
  private at = 0;
  constructor(private readonly lines: Line[]) {}

  done(): boolean {
    return this.at >= this.lines.length;
  }
  peek(): Line | undefined {
    return this.lines[this.at];
  }
  /** Skips blank and comment-only lines (never inside a scalar: scalars consume their own lines). */
  skipBlank(): void {
    while (!this.done() && (this.peek()!.text === '' || this.peek()!.text.startsWith('#'))) this.at++;
  }

  mapping(indent: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (;;) {
      this.skipBlank();
      const line = this.peek();
      if (!line || line.indent < indent) return out;
      if (line.indent > indent) throw new YamlSubsetError(line.no, `unexpected indentation: "${line.text}"`);
      if (isSequenceItem(line.text)) throw new YamlSubsetError(line.no, `a list item where a "key: value" was expected`);
      const { key, rest } = splitKey(line);
      if (Object.hasOwn(out, key)) throw new YamlSubsetError(line.no, `duplicate key "${key}"`);
      this.at++;
      out[key] = this.valueAfter(rest, indent, line.no, true);
    }
  }

  sequence(indent: number): unknown[] {
    const out: unknown[] = [];
    for (;;) {
      this.skipBlank();
      const line = this.peek();
      if (!line || line.indent < indent || !isSequenceItem(line.text)) return out;
      if (line.indent > indent) throw new YamlSubsetError(line.no, `unexpected indentation: "${line.text}"`);
      const item = line.text.slice(1).trimStart();
      if (item !== '' && !item.startsWith('#') && !/^["'[{]/.test(item) && findKeyColon(item) >= 0) {
        // `- key: value` opens a mapping whose keys line up with `key`: re-read this line as one.
        line.indent = indent + (line.text.length - item.length);
        line.text = item;
        out.push(this.mapping(line.indent));
        continue;
      }
      this.at++;
      out.push(this.valueAfter(item, indent, line.no, false));
    }
  }

  /** The value after `key:` or `-`: inline, or a nested block on the following lines. */
  private valueAfter(rest: string, indent: number, no: number, inMapping: boolean): unknown {
    if (rest === '' || rest.startsWith('#')) {
      this.skipBlank();
      const next = this.peek();
      if (next && next.indent > indent) {
        return isSequenceItem(next.text) ? this.sequence(next.indent) : this.mapping(next.indent);
      }
      // PyYAML writes a mapping's list at the key's own indentation.
      if (inMapping && next && next.indent === indent && isSequenceItem(next.text)) return this.sequence(indent);
      return null;
    }
    return this.scalarOrFlow(rest, indent, no);
  }

  private scalarOrFlow(text: string, indent: number, no: number): unknown {
    if (UNSUPPORTED_START.test(text)) {
      throw new YamlSubsetError(no, `"${text}": anchors, aliases, tags and block scalars (| >) are not supported in the header`);
    }
    if (text.startsWith('"') || text.startsWith("'")) return this.quoted(text, indent, no);
    if (text.startsWith('[') || text.startsWith('{')) {
      const flow = new FlowParser(text, no);
      const value = flow.value();
      flow.end();
      return value;
    }
    // Plain scalar: PyYAML folds long ones onto more-indented lines.
    let value = stripComment(text);
    while (!this.done()) {
      const next = this.peek()!;
      if (next.text === '' || next.indent <= indent || next.text.startsWith('#')) break;
      if (findKeyColon(next.text) >= 0 || isSequenceItem(next.text)) break;
      value += ' ' + stripComment(next.text);
      this.at++;
    }
    return resolvePlain(value);
  }

  private quoted(first: string, indent: number, no: number): string {
    const quote = first[0]!;
    let text = first;
    // A quoted scalar may go on over lines: gather until its closing quote.
    while (closingQuote(text, quote) < 0) {
      const next = this.lines[this.at];
      if (!next || (next.text !== '' && next.indent <= indent)) throw new YamlSubsetError(no, `unterminated ${quote === '"' ? 'double' : 'single'}-quoted string`);
      // A double-quoted line ending in an odd number of `\` escapes its line break (PyYAML wraps so).
      const escapedBreak = quote === '"' && /(^|[^\\])(\\\\)*\\$/.test(text);
      text += next.text === '' ? '\n' : (escapedBreak ? '\n' : ' ') + next.text;
      this.at++;
    }
    const end = closingQuote(text, quote);
    const after = text.slice(end + 1).trim();
    if (after !== '' && !after.startsWith('#')) throw new YamlSubsetError(no, `unexpected text after a quoted string: "${after}"`);
    const body = text.slice(1, end).replace(/ ?\n ?/g, '\n');
    return quote === "'" ? body.replaceAll("''", "'") : unescapeDouble(body, no);
  }
}

/** Splits `key: rest` (key plain or quoted). */
function splitKey(line: Line): { key: string; rest: string } {
  const text = line.text;
  if (text.startsWith('"') || text.startsWith("'")) {
    const end = closingQuote(text, text[0]!);
    const after = end < 0 ? '' : text.slice(end + 1);
    if (end < 0 || !/^\s*:(\s|$)/.test(after)) throw new YamlSubsetError(line.no, `expected "key: value", found "${text}"`);
    const raw = text.slice(1, end);
    const key = text[0] === "'" ? raw.replaceAll("''", "'") : unescapeDouble(raw, line.no);
    return { key, rest: after.replace(/^\s*:/, '').trim() };
  }
  const colon = findKeyColon(text);
  if (colon < 0) throw new YamlSubsetError(line.no, `expected "key: value", found "${text}"`);
  return { key: text.slice(0, colon).trim(), rest: text.slice(colon + 1).trim() };
}

/** Index of the `:` that ends a plain key (followed by a space or the end), or -1. */
function findKeyColon(text: string): number {
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '#' && i > 0 && text[i - 1] === ' ') return -1;
    if (text[i] === ':' && (i + 1 === text.length || text[i + 1] === ' ')) return i;
  }
  return -1;
}

function closingQuote(text: string, quote: string): number {
  for (let i = 1; i < text.length; i++) {
    if (quote === '"' && text[i] === '\\') {
      i++;
      continue;
    }
    if (text[i] === quote) {
      if (quote === "'" && text[i + 1] === "'") {
        i++;
        continue;
      }
      return i;
    }
  }
  return -1;
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\', '/': '/', '0': '\0', ' ': ' ', b: '\b', e: '\x1b' };

function unescapeDouble(body: string, no: number): string {
  return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|\n|.)/g, (_m, esc: string) => {
    if (esc === '\n') return '';
    if (/^[xuU]/.test(esc)) return String.fromCodePoint(parseInt(esc.slice(1), 16));
    const out = ESCAPES[esc];
    if (out === undefined) throw new YamlSubsetError(no, `unknown escape "\\${esc}" in a double-quoted string`);
    return out;
  });
}

function stripComment(text: string): string {
  const at = text.search(/\s#/);
  return (at < 0 ? text : text.slice(0, at)).trim();
}

/** YAML 1.1 core resolution of a plain scalar, as PyYAML's safe_load does for what jupytext writes. */
function resolvePlain(value: string): unknown {
  if (value === '' || value === '~' || /^(null|Null|NULL)$/.test(value)) return null;
  if (/^(true|True|TRUE)$/.test(value)) return true;
  if (/^(false|False|FALSE)$/.test(value)) return false;
  if (/^[-+]?[0-9]+$/.test(value)) return Number(value);
  if (/^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/.test(value)) return Number(value);
  if (/^[-+]?\.(inf|Inf|INF)$/.test(value)) return value.startsWith('-') ? -Infinity : Infinity;
  if (/^\.(nan|NaN|NAN)$/.test(value)) return NaN;
  return value;
}

/** One-line flow collections: `[a, "b"]`, `{k: v}`. */
class FlowParser {
  private at = 0;
  constructor(
    private readonly text: string,
    private readonly no: number,
  ) {}

  end(): void {
    this.space();
    const rest = this.text.slice(this.at).trim();
    if (rest !== '' && !rest.startsWith('#')) this.fail(`unexpected text "${rest}"`);
  }

  value(): unknown {
    this.space();
    const c = this.text[this.at];
    if (c === '[') return this.list();
    if (c === '{') return this.map();
    if (c === '"' || c === "'") return this.quotedScalar();
    const start = this.at;
    while (this.at < this.text.length && !',]}'.includes(this.text[this.at]!) && !(this.text[this.at] === ':' && this.text[this.at + 1] === ' ')) this.at++;
    return resolvePlain(this.text.slice(start, this.at).trim());
  }

  private list(): unknown[] {
    this.at++;
    const out: unknown[] = [];
    this.space();
    if (this.eat(']')) return out;
    for (;;) {
      out.push(this.value());
      this.space();
      if (this.eat(']')) return out;
      if (!this.eat(',')) this.fail('expected "," or "]" in a [list] (flow collections must close on their line)');
    }
  }

  private map(): Record<string, unknown> {
    this.at++;
    const out: Record<string, unknown> = {};
    this.space();
    if (this.eat('}')) return out;
    for (;;) {
      const key = this.value();
      this.space();
      if (!this.eat(':')) this.fail('expected ":" in a {mapping}');
      out[String(key)] = this.value();
      this.space();
      if (this.eat('}')) return out;
      if (!this.eat(',')) this.fail('expected "," or "}" in a {mapping} (flow collections must close on their line)');
    }
  }

  private quotedScalar(): string {
    const quote = this.text[this.at]!;
    const rest = this.text.slice(this.at);
    const end = closingQuote(rest, quote);
    if (end < 0) this.fail('unterminated quoted string');
    this.at += end + 1;
    const body = rest.slice(1, end);
    return quote === "'" ? body.replaceAll("''", "'") : unescapeDouble(body, this.no);
  }

  private space(): void {
    while (this.text[this.at] === ' ') this.at++;
  }
  private eat(c: string): boolean {
    if (this.text[this.at] !== c) return false;
    this.at++;
    return true;
  }
  private fail(problem: string): never {
    throw new YamlSubsetError(this.no, problem);
  }
}
