// The `injected-parameters` cell: the values a person typed, written back as code in the kernel's
// language, the way papermill's translators do (a `# Parameters` header, one assignment a line),
// so the notebook's own code after it sees them as ordinary variables.

import { dialectOf, SUPPORTED_LANGUAGES, type Dialect } from './parameters-literals.ts';
import type { ParameterType } from './parameters.ts';

const PYTHON_KEYWORDS = new Set(
  ('False None True and as assert async await break class continue def del elif else except finally for from global if import in ' +
    'is lambda nonlocal not or pass raise return try while with yield').split(' '),
);

/**
 * The code of the injected-parameters cell. `types` (from the parsed specs) keeps a float a
 * float: a slider stopped at 3 must still give Python `3.0` when the cell said `ratio = 0.5`.
 * Throws for a name the language cannot assign to, or a value that is not JSON-like.
 */
export function injectParameters(values: Record<string, unknown>, language: string, types: Record<string, ParameterType> = {}): string {
  const d = dialectOf(language);
  if (!d) throw new Error(`parameters cannot be written in "${language}"; ${SUPPORTED_LANGUAGES} can`);
  const lines = [d === 'typescript' ? '// Parameters' : '# Parameters'];
  for (const [name, value] of Object.entries(values)) {
    const code = literal(d, value, types[name] === 'float', name);
    lines.push(assign(d, name, code));
  }
  return `${lines.join('\n')}\n`;
}

function assign(d: Dialect, name: string, code: string): string {
  if (d === 'r') {
    // R can assign any name in backticks; a plain name stays plain so the cell reads naturally.
    const plain = /^(?:[A-Za-z]|\.(?![0-9]))[\w.]*$/.test(name) && !/^(if|else|repeat|while|function|for|next|break|TRUE|FALSE|NULL|Inf|NaN|NA|in)$/.test(name);
    return `${plain ? name : `\`${name.replace(/[\\`]/g, '\\$&')}\``} <- ${code}`;
  }
  const ok = d === 'typescript' ? /^[A-Za-z_$][\w$]*$/ : /^[A-Za-z_]\w*$/;
  if (!ok.test(name) || (d === 'python' && PYTHON_KEYWORDS.has(name))) throw new Error(`"${name}" is not a variable name a ${d} cell can assign`);
  return d === 'typescript' ? `const ${name} = ${code};` : `${name} = ${code}`;
}

function literal(d: Dialect, v: unknown, float: boolean, where: string): string {
  if (v === null || v === undefined) return { python: 'None', r: 'NULL', julia: 'nothing', typescript: 'null' }[d];
  if (typeof v === 'boolean') return { python: v ? 'True' : 'False', r: v ? 'TRUE' : 'FALSE', julia: String(v), typescript: String(v) }[d];
  if (typeof v === 'number') return number(d, v, float);
  if (typeof v === 'string') return str(d, v);
  if (Array.isArray(v)) return list(d, v, float, where);
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, literal(d, x, false, `${where}.${k}`)] as const);
    if (d === 'python') return `{${entries.map(([k, x]) => `${str(d, k)}: ${x}`).join(', ')}}`;
    if (d === 'r') return `list(${entries.map(([k, x]) => `${str(d, k)} = ${x}`).join(', ')})`;
    if (d === 'julia') return `Dict{String, Any}(${entries.map(([k, x]) => `${str(d, k)} => ${x}`).join(', ')})`;
    return JSON.stringify(v);
  }
  throw new Error(`${where}: a ${typeof v} cannot be a parameter value (text, numbers, true/false, null and lists can)`);
}

function list(d: Dialect, items: unknown[], float: boolean, where: string): string {
  const parts = items.map((x, i) => literal(d, x, float, `${where}[${i}]`));
  if (d === 'python' || d === 'typescript') return `[${parts.join(', ')}]`;
  if (d === 'julia') return items.length === 0 ? 'Any[]' : `[${parts.join(', ')}]`;
  // R: c() keeps a vector of one kind (what `x <- c("a", "b")` meant); mixed or nested needs list().
  const kinds = new Set(items.map((x) => (x === null ? 'null' : Array.isArray(x) ? 'array' : typeof x)));
  const flat = kinds.size === 1 && !kinds.has('null') && !kinds.has('array') && !kinds.has('object');
  return `${flat ? 'c' : 'list'}(${parts.join(', ')})`;
}

function number(d: Dialect, n: number, float: boolean): string {
  if (Number.isNaN(n)) return { python: "float('nan')", r: 'NaN', julia: 'NaN', typescript: 'NaN' }[d];
  if (!Number.isFinite(n)) {
    const inf = { python: "float('inf')", r: 'Inf', julia: 'Inf', typescript: 'Infinity' }[d];
    return n < 0 ? `-${inf}` : inf;
  }
  let s = String(n); // shortest round-tripping form, which Python's repr also uses
  // R's numbers are doubles already (papermill writes `5` too); Python and Julia need the `.0`.
  if (Number.isInteger(n) && !/e/.test(s) && float && (d === 'python' || d === 'julia')) s += '.0';
  if (/e/.test(s) && d === 'julia' && !/\./.test(s)) s = s.replace('e', '.0e'); // 1e+21 is a Float64 either way; keep it explicit
  return s;
}

/**
 * A string literal that reads back as exactly `s`: quotes, backslashes, control characters and
 * lone surrogates escaped, everything else (accents, emoji) kept as UTF-8 text.
 */
function str(d: Dialect, s: string): string {
  // Python's repr picks single quotes unless the text has one and no double quote.
  const q = d === 'python' && !(s.includes("'") && !s.includes('"')) ? "'" : '"';
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === q) out += `\\${q}`;
    else if (ch === '$' && d === 'julia') out += '\\$';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (cp < 0x20 || cp === 0x7f || (cp >= 0x80 && cp < 0xa0)) out += hex(d, cp, 2);
    else if (cp === 0x2028 || cp === 0x2029 || (cp >= 0xd800 && cp <= 0xdfff)) out += hex(d, cp, 4);
    else out += ch;
  }
  return `${q}${out}${q}`;
}

function hex(d: Dialect, cp: number, width: 2 | 4): string {
  const h = cp.toString(16).padStart(width, '0');
  if (d === 'r' || (d === 'julia' && cp >= 0x80)) return `\\u{${h}}`; // Julia's \x is a raw byte, not a character
  return width === 2 ? `\\x${h}` : `\\u${h}`;
}
