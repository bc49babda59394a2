// Reading literal values out of a parameters cell, in the cell's own language: the small part of
// Python, R, Julia and TypeScript that a papermill-style parameters cell is made of (strings,
// numbers, booleans, null, lists of those). Anything else is not a literal and the caller reports
// the line as unsupported — so this reader returns `undefined` instead of guessing.

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** What the reader found: the value, and whether the source spelled it as a float or a multi-line string. */
export interface Literal {
  value: Json;
  kind: 'string' | 'integer' | 'float' | 'boolean' | 'none' | 'list';
}

export type Dialect = 'python' | 'r' | 'julia' | 'typescript';

/** A cursor over the whole cell source: values may span lines (triple-quoted strings, lists). */
export class Cursor {
  pos = 0;
  constructor(readonly src: string) {}
  get ch(): string {
    return this.src[this.pos] ?? '';
  }
  at(s: string): boolean {
    return this.src.startsWith(s, this.pos);
  }
  /** Spaces and tabs only: a value's end is its line's end. */
  skipSpaces(): void {
    while (this.ch === ' ' || this.ch === '\t') this.pos++;
  }
  /** Inside brackets newlines and comments are allowed between items, as in every one of these languages. */
  skipBlank(comment: string): void {
    for (;;) {
      const c = this.ch;
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') this.pos++;
      else if (this.at(comment)) while (this.pos < this.src.length && this.ch !== '\n') this.pos++;
      else return;
    }
  }
}

const CONSTANTS: Record<Dialect, Record<string, Json>> = {
  python: { True: true, False: false, None: null },
  r: { TRUE: true, FALSE: false, T: true, F: false, NULL: null },
  julia: { true: true, false: false, nothing: null },
  typescript: { true: true, false: false, null: null },
};

export const COMMENT: Record<Dialect, string> = { python: '#', r: '#', julia: '#', typescript: '//' };

/** Reads one literal at the cursor, or returns undefined (cursor position then unspecified). */
export function readLiteral(c: Cursor, d: Dialect): Literal | undefined {
  const list = readList(c, d);
  if (list !== null) return list;
  const s = readStrings(c, d);
  if (s !== null) return s === undefined ? undefined : { value: s, kind: 'string' };
  const n = readNumber(c, d);
  if (n) return n;
  const word = /^[A-Za-z_]\w*/.exec(c.src.slice(c.pos, c.pos + 20));
  if (word && Object.hasOwn(CONSTANTS[d], word[0])) {
    c.pos += word[0].length;
    const v = CONSTANTS[d][word[0]]!;
    return { value: v, kind: v === null ? 'none' : 'boolean' };
  }
  return undefined;
}

/** A list or tuple; `null` when the cursor is not at one, undefined when it is but cannot be read. */
function readList(c: Cursor, d: Dialect): Literal | undefined | null {
  let close: string;
  let tuple = false;
  if (d === 'r') {
    const m = /^(c|list)\s*\(/.exec(c.src.slice(c.pos, c.pos + 8));
    if (!m) return null;
    c.pos += m[0].length;
    close = ')';
  } else if (c.ch === '[') {
    c.pos++;
    close = ']';
  } else if (c.ch === '(' && (d === 'python' || d === 'julia')) {
    c.pos++;
    close = ')';
    tuple = true;
  } else return null;
  const items: Json[] = [];
  let lastKind: Literal['kind'] = 'none';
  let commas = 0;
  const comment = COMMENT[d];
  for (;;) {
    c.skipBlank(comment);
    if (c.at(close)) {
      c.pos++;
      break;
    }
    const item = readLiteral(c, d);
    if (!item) return undefined;
    items.push(item.value);
    lastKind = item.kind;
    c.skipBlank(comment);
    if (c.ch === ',') {
      c.pos++;
      commas++;
    } else if (!c.at(close)) return undefined;
  }
  // `(3)` is just 3 in Python and Julia; `(3,)` is a one-item tuple.
  if (tuple && items.length === 1 && commas === 0) return { value: items[0]!, kind: lastKind };
  if (tuple && items.length === 0 && d === 'julia') return undefined; // `()` is not a list in Julia
  return { value: items, kind: 'list' };
}

/** Adjacent string literals join, as Python (and only Python) does: `"a" "b"` is "ab". */
function readStrings(c: Cursor, d: Dialect): string | undefined | null {
  const first = readString(c, d);
  if (first === null || first === undefined || d !== 'python') return first;
  let all = first;
  for (;;) {
    const back = c.pos;
    c.skipSpaces();
    const next = readString(c, d);
    if (next === undefined) return undefined;
    if (next === null) {
      c.pos = back;
      return all;
    }
    all += next;
  }
}

/** One string literal: `null` when the cursor is not at one, undefined when it cannot be read as a plain value. */
function readString(c: Cursor, d: Dialect): string | undefined | null {
  let raw = false;
  if (d === 'python') {
    const m = /^([rRuUbBfF]{0,2})(['"])/.exec(c.src.slice(c.pos, c.pos + 4));
    if (!m) return null;
    const prefix = m[1]!.toLowerCase();
    // f-strings are expressions and b-strings are not text: neither is a form field.
    if (/[bf]/.test(prefix) || prefix === 'ur' || prefix === 'ru' || prefix === 'uu' || prefix === 'rr') return undefined;
    raw = prefix === 'r';
    c.pos += prefix.length;
  } else if (!(c.ch === '"' || c.ch === "'" || (d === 'typescript' && c.ch === '`'))) return null;
  if (d === 'julia' && c.ch === "'") return undefined; // a Char, not a String
  const q = c.ch;
  const triple = (d === 'python' || d === 'julia') && c.at(q.repeat(3));
  if (triple && d === 'julia') return undefined; // Julia dedents """ strings; not worth imitating
  const quote = triple ? q.repeat(3) : q;
  c.pos += quote.length;
  const multiLineOk = triple || d === 'r' || q === '`';
  let out = '';
  for (;;) {
    if (c.pos >= c.src.length) return undefined;
    if (c.at(quote)) {
      c.pos += quote.length;
      return out;
    }
    const ch = c.ch;
    if (ch === '\n' && !multiLineOk) return undefined;
    if (q === '`' && c.at('${')) return undefined; // a template with a placeholder is an expression
    if (d === 'julia' && ch === '$') return undefined; // interpolation
    if (ch === '\\') {
      if (raw) {
        // A raw string keeps the backslash, but it still stops the next quote from ending the string.
        out += c.src.slice(c.pos, c.pos + 2);
        c.pos += 2;
        continue;
      }
      const e = readEscape(c, d);
      if (e === undefined) return undefined;
      out += e;
      continue;
    }
    if (ch === '\r' && c.src[c.pos + 1] === '\n') c.pos++; // CRLF inside a string reads as LF
    out += c.src[c.pos]!;
    c.pos++;
  }
}

const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v', '`': '`', $: '$', e: '\x1b' };

/** The escape at the cursor (which is at the backslash). */
function readEscape(c: Cursor, d: Dialect): string | undefined {
  const next = c.src[c.pos + 1] ?? '';
  const rest = c.src.slice(c.pos + 2, c.pos + 12);
  const take = (n: number, s: string | undefined) => {
    c.pos += n;
    return s;
  };
  if (next === '\n') return take(2, d === 'r' ? '\n' : ''); // a line continuation inside a string
  if (next === 'x') {
    const m = /^[0-9a-fA-F]{2}/.exec(rest);
    return m ? take(4, String.fromCharCode(parseInt(m[0], 16))) : undefined;
  }
  if (next === 'u' || next === 'U') {
    // Python: \uXXXX and \UXXXXXXXX; R, Julia and JS also accept a braced or shorter form.
    const braced = /^\{([0-9a-fA-F]{1,8})\}/.exec(rest);
    const fixed = new RegExp(`^[0-9a-fA-F]{${next === 'u' ? 4 : 8}}`).exec(rest);
    const short = d !== 'python' && d !== 'typescript' ? /^[0-9a-fA-F]{1,8}/.exec(rest) : null;
    const hex = d !== 'python' && braced ? braced[1]! : fixed ? fixed[0] : short?.[0];
    if (!hex) return undefined;
    const code = parseInt(hex, 16);
    if (code > 0x10ffff) return undefined;
    const len = d !== 'python' && braced ? braced[0].length : hex.length;
    return take(2 + len, String.fromCodePoint(code));
  }
  if (/[0-7]/.test(next) && d !== 'typescript') {
    const m = /^[0-7]{1,3}/.exec(c.src.slice(c.pos + 1, c.pos + 4))!;
    return take(1 + m[0].length, String.fromCharCode(parseInt(m[0], 8)));
  }
  if (next === '0' && d === 'typescript') return take(2, '\0');
  if (Object.hasOwn(SIMPLE_ESCAPES, next) && !(next === 'e' && d === 'python')) return take(2, SIMPLE_ESCAPES[next]);
  // Python keeps an unknown escape as written (`"\d"` is backslash-d); the others reject it.
  if (d === 'python' && next !== 'N' && next !== '') return take(2, `\\${next}`);
  return undefined;
}

/** A number, with an optional sign. Integers that a JSON number cannot hold exactly are refused. */
function readNumber(c: Cursor, d: Dialect): Literal | undefined {
  const text = c.src.slice(c.pos, c.pos + 80);
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?)(L?)(?![\w.])/.exec(text);
  if (!m) return undefined;
  const [all, sign, body, rSuffix] = m as unknown as [string, string, string, string];
  if (rSuffix && d !== 'r') return undefined;
  if (body.includes('_') && (d === 'r' || /_$|__|_\.|\._/.test(body))) return undefined;
  const clean = body.replace(/_/g, '');
  const float = !/^0[xXoObB]/.test(clean) && /[.eE]/.test(clean);
  if (!float && /^0\d/.test(clean) && d !== 'r' && d !== 'julia') return undefined; // "010" is an error in Python and octal-ish in JS
  const n = Number(clean) * (sign === '-' ? -1 : 1);
  if (!Number.isFinite(n)) return undefined;
  if (!float && !Number.isSafeInteger(n)) return undefined;
  c.pos += all.length;
  return { value: n, kind: float ? 'float' : 'integer' };
}

/** The dialect for a kernel language (`KernelInfo.language`), or undefined when parameters cannot be read in it. */
export function dialectOf(language: string): Dialect | undefined {
  const l = language.trim().toLowerCase();
  if (l === 'python' || l === 'python3' || l === 'ipython' || l === 'ipython3') return 'python';
  if (l === 'r') return 'r';
  if (l === 'julia') return 'julia';
  if (l === 'typescript' || l === 'javascript' || l === 'ts' || l === 'js') return 'typescript';
  return undefined;
}

export const SUPPORTED_LANGUAGES = 'Python, R, Julia, TypeScript and JavaScript';
