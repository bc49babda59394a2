// A cell tagged `parameters` (papermill's convention) becomes a form: each simple assignment in
// it is a typed field, and the values typed go back into the kernel as an `injected-parameters`
// cell right after it (see parameters-inject.ts). This file reads the cell.

import { COMMENT, Cursor, dialectOf, readLiteral, SUPPORTED_LANGUAGES, type Dialect, type Json, type Literal } from './parameters-literals.ts';
import { fitWidget, readComment } from './parameters-comments.ts';

export type { Json } from './parameters-literals.ts';
export { injectParameters } from './parameters-inject.ts';

export type ParameterType = 'string' | 'multiline' | 'integer' | 'float' | 'boolean' | 'list' | 'none';

/** The widget a parameter's comment asks for (without one, the type decides). */
export type ParameterWidget =
  | { kind: 'choices'; options: string[] }
  | { kind: 'range'; min: number; max: number; step: number }
  | { kind: 'file'; accept?: string }
  | { kind: 'files'; folder: string; pattern?: string }
  | { kind: 'textarea' };

export interface ParameterSpec {
  name: string;
  type: ParameterType;
  /** The default as written in the cell, as JSON (`None`/`NULL`/`nothing`/`null` → null). */
  default: Json;
  /** The comment after the assignment, less any widget directive. */
  help?: string | undefined;
  widget?: ParameterWidget | undefined;
  /** The type annotation as written (`int`, `Optional[str]`, `Float64`, `number`), if any. */
  annotation?: string | undefined;
  /** 1-based line in the cell where the assignment starts. */
  line: number;
}

export interface ParsedParameters {
  parameters: ParameterSpec[];
  /**
   * Lines that are not a literal assignment (imports, calls, expressions). They still run in the
   * kernel, as the cell's code, before the injected values; they just are not fields.
   */
  unsupported: { line: number; text: string }[];
  /** Mistakes in the cell that the person must fix: a default outside its range, a bad annotation… */
  errors: { line: number; message: string }[];
}

// How an assignment starts, per language; group 1 is the name, group 2 an annotation. Top level
// only (no indentation): an assignment inside an `if` is not a parameter.
const HEAD: Record<Dialect, RegExp> = {
  python: /^([A-Za-z_]\w*)[ \t]*(?::[ \t]*([^=\n]+?))?[ \t]*=(?!=)[ \t]*/,
  r: /^([A-Za-z]|\.[A-Za-z_.]|[A-Za-z][\w.]*)[ \t]*(?:<-|=(?!=))[ \t]*/,
  julia: /^(?:const[ \t]+)?([A-Za-z_]\w*)[ \t]*(?:::[ \t]*([^=\n]+?))?[ \t]*=(?![=>])[ \t]*/,
  typescript: /^(?:export[ \t]+)?(?:const|let|var)[ \t]+([A-Za-z_$][\w$]*)[ \t]*(?::[ \t]*([^=\n]+?))?[ \t]*=(?![=>])[ \t]*/,
};

/**
 * Reads a parameters cell in `language` (a kernel language: python, r, julia, typescript,
 * javascript). Each top-level `name = literal` (Python, Julia; `name <- literal` in R;
 * `const|let|var name = literal;` in TypeScript/JavaScript) becomes a parameter. Literals:
 * strings (any quoting the language has, escapes decoded; triple-quoted in Python), integers,
 * floats, booleans, None/NULL/nothing/null, and lists (tuples, `c()`, `list()`) of those.
 * A type annotation (`x: int = 3`, `x::Float64 = 1`, `let x: number = 1`) sets the type.
 *
 * The comment after the value is help text, unless a part of it (parts are separated by `|`)
 * is one of these directives, which picks the widget:
 *
 *     colour = "red"      # choices: red, green, blue     → dropdown (a list: checkboxes)
 *     level = 5           # range: 0..10                  → slider (step 1)
 *     ratio = 0.5         # range: 0..1 step 0.05         → slider
 *     data = None         # file  or  # file: .csv,.tsv   → upload; the code receives its path
 *     inputs = []         # files: data/  or  files: data/*.csv → pick files from a folder
 *     note = ""           # textarea                      → multi-line text
 *     colour = "red"      # The pen's colour | choices: red, green → help text and dropdown
 *
 * Never throws for the cell's content: what is not a parameter is in `unsupported`, what is wrong
 * is in `errors`, each with its line. Throws only for a language it cannot read.
 */
export function parseParameters(source: string, language: string): ParsedParameters {
  const d = dialectOf(language);
  if (!d) throw new Error(`parameters cells in "${language}" cannot be read; ${SUPPORTED_LANGUAGES} can`);
  const src = source.replace(/\r\n?/g, '\n');
  const c = new Cursor(src);
  const comment = COMMENT[d];
  const out: ParsedParameters = { parameters: [], unsupported: [], errors: [] };
  const lineAt = (pos: number) => src.slice(0, pos).split('\n').length;
  const seen = new Map<string, number>();

  while (c.pos < src.length) {
    const start = c.pos;
    const eol = src.indexOf('\n', start);
    const text = src.slice(start, eol < 0 ? src.length : eol);
    const trimmed = text.trim();
    if (trimmed === '' || trimmed.startsWith(comment)) {
      c.pos = eol < 0 ? src.length : eol + 1;
      continue;
    }
    const line = lineAt(start);
    const read = readAssignment(c, d, text);
    if (!read) {
      out.unsupported.push({ line, text: trimmed });
      c.pos = start;
      skipStatement(c, d);
      continue;
    }
    const { name, annotation, literal, note } = read;
    try {
      const spec = toSpec(d, name, annotation, literal, note, line);
      const before = seen.get(name);
      if (before !== undefined) throw new Error(`"${name}" is already a parameter (line ${before}); keep one of the two`);
      seen.set(name, line);
      out.parameters.push(spec);
    } catch (e) {
      out.errors.push({ line, message: `${name}: ${(e as Error).message}` });
    }
  }
  return out;
}

interface Assignment {
  name: string;
  annotation?: string | undefined;
  literal: Literal;
  note?: string | undefined;
}

/** One `name = literal  # comment` statement at the cursor (moved past its line), or undefined. */
function readAssignment(c: Cursor, d: Dialect, text: string): Assignment | undefined {
  const m = HEAD[d].exec(text);
  if (!m) return undefined;
  c.pos += m[0].length;
  const literal = readLiteral(c, d);
  if (!literal) return undefined;
  c.skipSpaces();
  if (c.ch === ';') {
    c.pos++;
    c.skipSpaces();
  }
  let note: string | undefined;
  if (c.at(COMMENT[d])) {
    const eol = c.src.indexOf('\n', c.pos);
    note = c.src.slice(c.pos + COMMENT[d].length, eol < 0 ? undefined : eol).trim();
    c.pos = eol < 0 ? c.src.length : eol;
  }
  if (c.pos < c.src.length && c.ch !== '\n') return undefined; // more code after the value
  c.pos++;
  return { name: m[1]!, annotation: m[2]?.trim(), literal, note };
}

function toSpec(d: Dialect, name: string, annotation: string | undefined, lit: Literal, note: string | undefined, line: number): ParameterSpec {
  let type: ParameterType = lit.kind === 'string' && (lit.value as string).includes('\n') ? 'multiline' : lit.kind;
  if (annotation) {
    const wanted = annotationType(d, annotation);
    if (wanted) type = fitAnnotation(wanted, type, annotation);
  }
  const { help, widget } = note ? readComment(note) : {};
  if (widget) type = fitWidget(widget, type, lit.value);
  return { name, type, default: lit.value, help, widget, annotation, line };
}

/** The value fits the annotation (an int where a float is declared is fine; None fits anything, as "no default"). */
function fitAnnotation(wanted: ParameterType, got: ParameterType, annotation: string): ParameterType {
  if (got === 'none' || got === wanted) return wanted;
  if (wanted === 'float' && got === 'integer') return 'float';
  if (wanted === 'string' && got === 'multiline') return 'multiline';
  throw new Error(`the default is ${article(got)} but the annotation says ${annotation}`);
}

function article(t: ParameterType): string {
  const word = t === 'multiline' ? 'multi-line string' : t === 'none' ? 'None' : t;
  return /^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`;
}

const ANNOTATIONS: Record<Dialect, Record<string, ParameterType>> = {
  python: { int: 'integer', float: 'float', str: 'string', bool: 'boolean', list: 'list', List: 'list', tuple: 'list', Tuple: 'list', Sequence: 'list' },
  julia: {
    Int: 'integer', Int64: 'integer', Int32: 'integer', Integer: 'integer', Float64: 'float', Float32: 'float', AbstractFloat: 'float', Real: 'float',
    String: 'string', AbstractString: 'string', Bool: 'boolean', Vector: 'list', Array: 'list', AbstractVector: 'list',
  },
  typescript: { number: 'float', string: 'string', boolean: 'boolean', Array: 'list', ReadonlyArray: 'list' },
  r: {},
};

/** The type an annotation names, or undefined for one we do not know (then the value decides). */
function annotationType(d: Dialect, annotation: string): ParameterType | undefined {
  let a = annotation.trim().replace(/^['"](.*)['"]$/, '$1');
  // Optional[X], X | None, Union{Nothing, X}, X | null: the optional part is what None means anyway.
  const optional = /^Optional\[(.*)\]$/.exec(a) ?? /^Union\{\s*Nothing\s*,\s*(.*)\}$/.exec(a);
  if (optional) a = optional[1]!;
  a = a.split('|').map((p) => p.trim()).filter((p) => !['None', 'null', 'undefined', 'Nothing'].includes(p)).join('|');
  if (/\[\]$/.test(a) || /^readonly\s/.test(a)) return d === 'typescript' ? 'list' : undefined;
  const base = /^[A-Za-z_]\w*/.exec(a)?.[0];
  if (!base || (base.length !== a.length && !/^[[{<]/.test(a.slice(base.length)))) return undefined;
  return Object.hasOwn(ANNOTATIONS[d], base) ? ANNOTATIONS[d][base] : undefined;
}

/**
 * Moves past one statement that is not a parameter: to the end of its line, or further while a
 * bracket or a multi-line string is open or the line ends in a continuation backslash.
 */
function skipStatement(c: Cursor, d: Dialect): void {
  const src = c.src;
  let depth = 0;
  while (c.pos < src.length) {
    const ch = c.ch;
    if (ch === '\n') {
      c.pos++;
      if (depth <= 0) return;
    } else if (c.at(COMMENT[d])) {
      while (c.pos < src.length && c.ch !== '\n') c.pos++;
    } else if (ch === '\\') {
      c.pos += 2;
    } else if ('([{'.includes(ch)) {
      depth++;
      c.pos++;
    } else if (')]}'.includes(ch)) {
      depth--;
      c.pos++;
    } else if (ch === '"' || ch === "'" || ch === '`') {
      const quote = (d === 'python' || d === 'julia') && c.at(ch.repeat(3)) ? ch.repeat(3) : ch;
      const multi = quote.length === 3 || d === 'r' || ch === '`';
      c.pos += quote.length;
      while (c.pos < src.length && !c.at(quote) && (multi || c.ch !== '\n')) c.pos += c.ch === '\\' ? 2 : 1;
      if (c.at(quote)) c.pos += quote.length;
    } else c.pos++;
  }
}
