import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { injectParameters, parseParameters, type ParameterSpec } from '../../src/notebooks/parameters.ts';
import { fieldFor, parameterValue } from '../../src/notebooks/parameter-fields.ts';

const PYTHON = '/usr/bin/python3';

/** Runs Python code and returns what the last line prints as JSON. */
function runPython(code: string): unknown {
  return JSON.parse(execFileSync(PYTHON, ['-c', code], { encoding: 'utf8' }));
}

/** The parameters only, without the line numbers and absent keys, for compact expectations. */
function specs(source: string, language = 'python') {
  const r = parseParameters(source, language);
  return r.parameters.map(({ name, type, default: d, help, widget, annotation }) => ({
    name, type, default: d,
    ...(help !== undefined ? { help } : {}),
    ...(widget !== undefined ? { widget } : {}),
    ...(annotation !== undefined ? { annotation } : {}),
  }));
}

function errorsOf(source: string, language = 'python') {
  return parseParameters(source, language).errors;
}

function only(source: string, language = 'python'): ParameterSpec {
  const r = parseParameters(source, language);
  assert.deepEqual(r.errors, []);
  assert.equal(r.parameters.length, 1, `one parameter expected in ${source}`);
  return r.parameters[0]!;
}

describe('parseParameters: Python literals and types', () => {
  test('each type is inferred from its literal', () => {
    const src = [
      'name = "Ada"',
      "greeting = 'hello'",
      'poem = """one\ntwo"""',
      'count = 3',
      'big = 1_000',
      'hexa = 0xff',
      'ratio = 0.5',
      'thousand = 1e3',
      'neg = -2.5',
      'negint = -7',
      'flag = True',
      'off = False',
      'nothing = None',
      'items = [1, 2.5, "x", None, True]',
      'pair = ("a", "b")',
      'single = (1,)',
      'nested = [[1, 2], []]',
      'paren = (42)',
    ].join('\n');
    assert.deepEqual(specs(src), [
      { name: 'name', type: 'string', default: 'Ada' },
      { name: 'greeting', type: 'string', default: 'hello' },
      { name: 'poem', type: 'multiline', default: 'one\ntwo' },
      { name: 'count', type: 'integer', default: 3 },
      { name: 'big', type: 'integer', default: 1000 },
      { name: 'hexa', type: 'integer', default: 255 },
      { name: 'ratio', type: 'float', default: 0.5 },
      { name: 'thousand', type: 'float', default: 1000 },
      { name: 'neg', type: 'float', default: -2.5 },
      { name: 'negint', type: 'integer', default: -7 },
      { name: 'flag', type: 'boolean', default: true },
      { name: 'off', type: 'boolean', default: false },
      { name: 'nothing', type: 'none', default: null },
      { name: 'items', type: 'list', default: [1, 2.5, 'x', null, true] },
      { name: 'pair', type: 'list', default: ['a', 'b'] },
      { name: 'single', type: 'list', default: [1] },
      { name: 'nested', type: 'list', default: [[1, 2], []] },
      { name: 'paren', type: 'integer', default: 42 },
    ]);
  });

  test('strings: every quoting, raw strings, escapes, adjacent literals, a # inside', () => {
    const src = String.raw`a = 'it\'s'
b = "say \"hi\""
c = r"C:\new\table"
d = "tab\tnew\nline \x41 \u00e9 \U0001F600 \101 \d"
e = '''has "double" and 'single' quotes'''
f = "joined " 'together'
g = "not # a comment"  # but this is
h = """first
  second \
continued"""
i = "😀 ünïcödé"
j = R'raw\'quote'
k = u"unicode prefix"
`;
    const got = Object.fromEntries(specs(src).map((s) => [s.name, s.default]));
    assert.deepEqual(got, {
      a: "it's",
      b: 'say "hi"',
      c: 'C:\\new\\table',
      d: 'tab\tnew\nline A é 😀 A \\d',
      e: `has "double" and 'single' quotes`,
      f: 'joined together',
      g: 'not # a comment',
      h: 'first\n  second continued',
      i: '😀 ünïcödé',
      j: "raw\\'quote",
      k: 'unicode prefix',
    });
    assert.equal(specs(src).find((s) => s.name === 'g')!.help, 'but this is');
  });

  test('the literal reader agrees with Python itself on the whole corpus', () => {
    const src = String.raw`a = 'it\'s'
b = "say \"hi\""
c = r"C:\new\table"
d = "tab\tnew\nline \x41 \u00e9 \U0001F600 \101"
e = '''has "double" and 'single' quotes'''
f = "joined " 'together'
h = """first
  second \
continued"""
i = "😀 ünïcödé"
n = -2.5e-3
m = 0o17
l = [1, (2, 3), [], None, False, "x"]
t = (
    "multi",   # a comment inside
    "line",
)
`;
    const parsed = Object.fromEntries(specs(src).map((s) => [s.name, s.default]));
    const names = Object.keys(parsed);
    assert.equal(names.length, 12);
    const python = runPython(`${src}\nimport json; print(json.dumps({${names.map((n) => `'${n}': ${n}`).join(', ')}}))`);
    assert.deepEqual(parsed, python);
  });

  test('type annotations set the type; a default that contradicts one is an error with its line', () => {
    assert.deepEqual(specs('x: int = 3\ny: float = 3\nz: Optional[str] = None\nw: "str" = "q"\nv: list[int] = [1]\nu: str | None = None'), [
      { name: 'x', type: 'integer', default: 3, annotation: 'int' },
      { name: 'y', type: 'float', default: 3, annotation: 'float' },
      { name: 'z', type: 'string', default: null, annotation: 'Optional[str]' },
      { name: 'w', type: 'string', default: 'q', annotation: '"str"' },
      { name: 'v', type: 'list', default: [1], annotation: 'list[int]' },
      { name: 'u', type: 'string', default: null, annotation: 'str | None' },
    ]);
    // An annotation we do not know leaves the type to the value.
    assert.equal(only('df: pd.DataFrame = None').type, 'none');
    assert.deepEqual(errorsOf('ok = 1\nw: int = "five"'), [{ line: 2, message: 'w: the default is a string but the annotation says int' }]);
    assert.deepEqual(errorsOf('f: bool = 1.5'), [{ line: 1, message: 'f: the default is a float but the annotation says bool' }]);
  });

  test('lines that are not literal assignments are reported as unsupported, with their line, and skipped whole', () => {
    const src = [
      '# a comment line is fine',
      'import os',                     // 2
      'x = compute(',                  // 3
      '    1,',
      '    2)',
      'after = 1',                     // 6
      'path = f"{x}.csv"',             // 7
      'b = b"bytes"',                  // 8
      'z = 1j',                        // 9
      'a = b = 2',                     // 10
      'd = {"k": 1}',                  // 11
      'if True:',                      // 12
      '    inside = 3',                // 13
      'q = 1; r = 2',                  // 14
      's = """a',                      // 15: a multi-line string that is not a literal assignment
      'not = a param"""  + suffix',
      'last = "ok"',                   // 17
      '%matplotlib inline',            // 18
      'big = 12345678901234567890',    // 19: too big for a JSON number
    ].join('\n');
    const r = parseParameters(src, 'python');
    assert.deepEqual(r.parameters.map((p) => [p.name, p.line]), [['after', 6], ['last', 17]]);
    assert.deepEqual(r.unsupported, [
      { line: 2, text: 'import os' },
      { line: 3, text: 'x = compute(' },
      { line: 7, text: 'path = f"{x}.csv"' },
      { line: 8, text: 'b = b"bytes"' },
      { line: 9, text: 'z = 1j' },
      { line: 10, text: 'a = b = 2' },
      { line: 11, text: 'd = {"k": 1}' },
      { line: 12, text: 'if True:' },
      { line: 13, text: 'inside = 3' },
      { line: 14, text: 'q = 1; r = 2' },
      { line: 15, text: 's = """a' },
      { line: 18, text: '%matplotlib inline' },
      { line: 19, text: 'big = 12345678901234567890' },
    ]);
    assert.deepEqual(r.errors, []);
  });

  test('a cell cut off mid-value (unclosed string or list) is unsupported, not a hang or a half value', () => {
    for (const src of ['x = "unterminated', 'x = """open\nmore', 'x = [1, 2', 'x =', 'x = [1,,2]']) {
      const r = parseParameters(src, 'python');
      assert.deepEqual(r.parameters, [], src);
      assert.deepEqual(r.unsupported.map((u) => u.line), [1], src);
    }
  });

  test('Windows line endings read the same', () => {
    assert.deepEqual(specs('a = 1\r\nb = "x"  # help\r\n'), [
      { name: 'a', type: 'integer', default: 1 },
      { name: 'b', type: 'string', default: 'x', help: 'help' },
    ]);
  });

  test('a name given twice is an error naming both lines', () => {
    assert.deepEqual(errorsOf('a = 1\nb = 2\na = 3'), [{ line: 3, message: 'a: "a" is already a parameter (line 1); keep one of the two' }]);
  });

  test('a language it cannot read is refused with what it can read', () => {
    assert.throws(() => parseParameters('x = 1', 'scala'), /"scala" cannot be read; Python, R, Julia, TypeScript and JavaScript can/);
  });
});

describe('parseParameters: the comment syntax', () => {
  test('each directive picks its widget; the rest of the comment is help text', () => {
    const src = [
      'name = "Ada"  # Who to greet',
      'colour = "red"  # choices: red, green, blue',
      'level = 5  # range: 0..10',
      'ratio = 0.5  # How much | range: 0..1 step 0.05',
      'data = None  # file',
      'table = None  # The table | file: .csv, .tsv',
      'inputs = []  # files: data/',
      'csvs = ["data/a.csv"]  # files: data/*.csv',
      'one = "x.txt"  # files: raw/',
      'note = ""  # textarea',
      'size = 3  # choices: 1, 3, 5',
      'tags = ["a"]  # Pick some | choices: a, b, c',
      'pipe = "x"  # a | b',
    ].join('\n');
    assert.deepEqual(specs(src), [
      { name: 'name', type: 'string', default: 'Ada', help: 'Who to greet' },
      { name: 'colour', type: 'string', default: 'red', widget: { kind: 'choices', options: ['red', 'green', 'blue'] } },
      { name: 'level', type: 'integer', default: 5, widget: { kind: 'range', min: 0, max: 10, step: 1 } },
      { name: 'ratio', type: 'float', default: 0.5, help: 'How much', widget: { kind: 'range', min: 0, max: 1, step: 0.05 } },
      { name: 'data', type: 'string', default: null, widget: { kind: 'file' } },
      { name: 'table', type: 'string', default: null, help: 'The table', widget: { kind: 'file', accept: '.csv,.tsv' } },
      { name: 'inputs', type: 'list', default: [], widget: { kind: 'files', folder: 'data/' } },
      { name: 'csvs', type: 'list', default: ['data/a.csv'], widget: { kind: 'files', folder: 'data', pattern: '*.csv' } },
      { name: 'one', type: 'string', default: 'x.txt', widget: { kind: 'files', folder: 'raw/' } },
      { name: 'note', type: 'multiline', default: '', widget: { kind: 'textarea' } },
      { name: 'size', type: 'integer', default: 3, widget: { kind: 'choices', options: ['1', '3', '5'] } },
      { name: 'tags', type: 'list', default: ['a'], help: 'Pick some', widget: { kind: 'choices', options: ['a', 'b', 'c'] } },
      // Not a directive: plain help text, pipes and all.
      { name: 'pipe', type: 'string', default: 'x', help: 'a | b' },
    ]);
  });

  test('mistakes in the syntax are errors with the line and what to write', () => {
    const cases: [string, string][] = [
      ['colour = "pink"  # choices: red, green', 'colour: the default "pink" is not one of the choices: red, green'],
      ['level = 11  # range: 0..10', 'level: the default 11 is outside the range 0..10'],
      ['ratio = 0.33  # range: 0..1 step 0.1', 'ratio: the default 0.33 is not on a step of 0.1 from 0'],
      ['level = 5  # range: 10..0', 'level: the range 10..0 is empty: put the smaller number first'],
      ['level = 5  # range: 0 to 10', 'level: write a range as "range: 0..100" or "range: 0..1 step 0.1"'],
      ['level = 5  # range: 0..10 step 0.5', 'level: the default is a whole number, so the range needs whole numbers too (write the default as 5.0 for a decimal slider)'],
      ['name = "x"  # range: 0..10', 'name: a range needs a number, not a string default'],
      ['colour = "red"  # choices: red, , blue', 'colour: write choices as "choices: red, green, blue" (no empty entries)'],
      ['colour = "red"  # choices: red, red', 'colour: the choice "red" is listed twice'],
      ['colour = "red"  # choices: red | textarea', 'colour: only one widget per parameter: "textarea" comes after a choices already'],
      ['size = 3  # choices: 1, two, 3', 'size: the choice "two" is not a whole number, but the default is'],
      ['flag = True  # choices: yes, no', 'flag: choices work with a string, a number or a list of strings, not a boolean'],
      ['tags = ["d"]  # choices: a, b', 'tags: the default item "d" is not one of the choices (a list with choices holds strings from: a, b)'],
      ['n = 3  # file', 'n: a file parameter receives a path (a string), so its default must be a string or None, not a integer'],
      ['inputs = []  # files:', 'inputs: name the folder to choose from, e.g. "files: data/" or "files: data/*.csv"'],
      ['note = ""  # textarea: big', 'note: "textarea" takes nothing after it (got "big")'],
    ];
    for (const [src, message] of cases) {
      assert.deepEqual(errorsOf(`ok = 1\n${src}`), [{ line: 2, message }], src);
      // A parameter with a mistake is not offered as a field.
      assert.deepEqual(parseParameters(`ok = 1\n${src}`, 'python').parameters.map((p) => p.name), ['ok']);
    }
  });
});

describe('parseParameters: R, Julia, TypeScript', () => {
  test('R: <- and =, c() and list(), TRUE/FALSE/T/F, NULL, 5L, escapes, comments', () => {
    const src = [
      'name <- "Ada"  # Who | choices: Ada, Bob',
      "greeting = 'it\\'s'",
      'n <- 5L',
      'ratio <- 0.25',
      'flag <- TRUE',
      'off <- F',
      'nothing <- NULL',
      'v <- c(1, 2, 3)',
      'l <- list("a", TRUE, NULL)',
      'multi <- "one',
      'two"',
      'my.var <- 1',
      'library(dplyr)',
    ].join('\n');
    const r = parseParameters(src, 'r');
    assert.deepEqual(specs(src, 'r'), [
      { name: 'name', type: 'string', default: 'Ada', help: 'Who', widget: { kind: 'choices', options: ['Ada', 'Bob'] } },
      { name: 'greeting', type: 'string', default: "it's" },
      { name: 'n', type: 'integer', default: 5 },
      { name: 'ratio', type: 'float', default: 0.25 },
      { name: 'flag', type: 'boolean', default: true },
      { name: 'off', type: 'boolean', default: false },
      { name: 'nothing', type: 'none', default: null },
      { name: 'v', type: 'list', default: [1, 2, 3] },
      { name: 'l', type: 'list', default: ['a', true, null] },
      { name: 'multi', type: 'multiline', default: 'one\ntwo' },
      { name: 'my.var', type: 'integer', default: 1 },
    ]);
    assert.deepEqual(r.unsupported, [{ line: 13, text: 'library(dplyr)' }]);
  });

  test('Julia: annotations, const, vectors and tuples, nothing; interpolation is not a literal', () => {
    const src = [
      'name = "Ada"  # Who',
      'n::Int = 3',
      'const ratio = 1.5',
      'x::Float64 = 2',
      'v = [1, 2]',
      't = ("a", "b")',
      'nothing_here = nothing',
      'flag = false',
      's = "cost $price"',
      'esc = "cost \\$5"',
      'c = \'a\'',
    ].join('\n');
    const r = parseParameters(src, 'julia');
    assert.deepEqual(specs(src, 'julia'), [
      { name: 'name', type: 'string', default: 'Ada', help: 'Who' },
      { name: 'n', type: 'integer', default: 3, annotation: 'Int' },
      { name: 'ratio', type: 'float', default: 1.5 },
      { name: 'x', type: 'float', default: 2, annotation: 'Float64' },
      { name: 'v', type: 'list', default: [1, 2] },
      { name: 't', type: 'list', default: ['a', 'b'] },
      { name: 'nothing_here', type: 'none', default: null },
      { name: 'flag', type: 'boolean', default: false },
      { name: 'esc', type: 'string', default: 'cost $5' },
    ]);
    assert.deepEqual(r.unsupported.map((u) => u.line), [9, 11]);
  });

  test('TypeScript/JavaScript: const/let/var, annotations, semicolons, templates without placeholders, // comments', () => {
    const src = [
      "const name = 'Ada'; // Who | choices: Ada, Bob",
      'let n: number = 3;',
      'var count = 3',
      'export const flags: boolean[] = [true, false];',
      'const t = `one',
      'two`;',
      'const u = `hi ${name}`;',
      'const nothing = null;',
      'const s: string | null = null;',
      'console.log(name);',
      'const obj = { a: 1 };',
    ].join('\n');
    const r = parseParameters(src, 'typescript');
    assert.deepEqual(specs(src, 'javascript'), [
      { name: 'name', type: 'string', default: 'Ada', help: 'Who', widget: { kind: 'choices', options: ['Ada', 'Bob'] } },
      { name: 'n', type: 'float', default: 3, annotation: 'number' },
      { name: 'count', type: 'integer', default: 3 },
      { name: 'flags', type: 'list', default: [true, false], annotation: 'boolean[]' },
      { name: 't', type: 'multiline', default: 'one\ntwo' },
      { name: 'nothing', type: 'none', default: null },
      { name: 's', type: 'string', default: null, annotation: 'string | null' },
    ]);
    assert.deepEqual(r.unsupported.map((u) => u.line), [7, 10, 11]);
  });
});

// Strings that break naive quoting.
const TRICKY = {
  quotes: `it's "quoted"`,
  single: "it's",
  double: 'say "hi"',
  backslashes: 'C:\\new\\table\\',
  newlines: 'one\ntwo\r\nthree\ttab',
  unicode: 'ünïcödé – “curly” ‘quotes’',
  emoji: '😀👍🏽 family: 👨‍👩‍👧',
  control: 'bell\x07 nul\x00 esc\x1b del\x7f c1\x85',
  separators: 'line\u2028para\u2029end',
  dollar: 'cost $5 and ${x}',
  empty: '',
};

describe('injectParameters', () => {
  test('Python: the generated cell runs and gives back exactly the values, tricky strings included', () => {
    const values = {
      ...TRICKY,
      count: 3,
      negative: -42,
      ratio: 0.1,
      tiny: 1e-7,
      huge: 1e21,
      whole_float: 3,
      on: true,
      off: false,
      nothing: null,
      items: [1, 'two', [3.5, null], true],
      empty_list: [],
      mapping: { "key's": 'value', nested: [1] },
    };
    const code = injectParameters(values, 'python', { whole_float: 'float' });
    assert.match(code, /^# Parameters\n/);
    const names = Object.keys(values);
    const back = runPython(`${code}\nimport json; print(json.dumps({${names.map((n) => `'${n}': ${n}`).join(', ')}}))`);
    assert.deepEqual(back, values);
    // A float stays a float when the value is whole, and an int stays an int.
    assert.deepEqual(runPython(`${code}\nimport json; print(json.dumps([type(whole_float).__name__, type(count).__name__, type(ratio).__name__]))`), ['float', 'int', 'float']);
  });

  test('Python: the text is papermill-like, one repr-style assignment a line', () => {
    assert.equal(
      injectParameters({ a: "it's", b: 'x"y', c: 2.5, d: [1, null, false], e: 'é\n' }, 'python'),
      `# Parameters\na = "it's"\nb = 'x"y'\nc = 2.5\nd = [1, None, False]\ne = 'é\\n'\n`,
    );
  });

  test('TypeScript: the generated cell runs in Node and gives back the values', () => {
    const values = { ...TRICKY, n: 3, items: [1, 'a', null], flag: true, none: null };
    const code = injectParameters(values, 'typescript');
    assert.match(code, /^\/\/ Parameters\n/);
    const back = vm.runInNewContext(`${code}\n;({${Object.keys(values).join(', ')}})`);
    assert.deepEqual(JSON.parse(JSON.stringify(back)), values);
  });

  // Rscript and julia are not installed here: the exact text is asserted, and the text is read
  // back with our own R/Julia reader (which follows those languages' escape rules).
  test('R: exact text — <-, c() for one kind, list() for mixed, TRUE/FALSE/NULL, escapes', () => {
    assert.equal(
      injectParameters({ name: "it's \"q\"\n", n: 5, r: 2.5, flag: true, none: null, v: ['a', 'b'], mixed: [1, 'a', null], empty: [], _hidden: 1, 'my.var': 2 }, 'r'),
      [
        '# Parameters',
        'name <- "it\'s \\"q\\"\\n"',
        'n <- 5',
        'r <- 2.5',
        'flag <- TRUE',
        'none <- NULL',
        'v <- c("a", "b")',
        'mixed <- list(1, "a", NULL)',
        'empty <- list()',
        '`_hidden` <- 1',
        'my.var <- 2',
        '',
      ].join('\n'),
    );
  });

  test('Julia: exact text — nothing, Any[] for an empty vector, $ escaped, floats keep their .0', () => {
    assert.equal(
      injectParameters({ s: 'cost $5\t"x"', n: 3, f: 3, none: null, v: [1, 2], e: [], c1: '\x85' }, 'julia', { f: 'float' }),
      ['# Parameters', 's = "cost \\$5\\t\\"x\\""', 'n = 3', 'f = 3.0', 'none = nothing', 'v = [1, 2]', 'e = Any[]', 'c1 = "\\u{85}"', ''].join('\n'),
    );
  });

  for (const language of ['python', 'r', 'julia', 'typescript']) {
    test(`${language}: injected values read back by parseParameters as the same values`, () => {
      const values = { ...TRICKY, n: 3, ratio: 0.25, on: true, items: ['a', 'b'] };
      delete (values as Record<string, unknown>).control; // R has no NUL character; checked by running Python and Node above
      const r = parseParameters(injectParameters(values, language), language);
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.unsupported, []);
      assert.deepEqual(Object.fromEntries(r.parameters.map((p) => [p.name, p.default])), values);
    });
  }

  test('a name the language cannot assign, or a value that is not data, is refused', () => {
    assert.throws(() => injectParameters({ class: 1 }, 'python'), /"class" is not a variable name a python cell can assign/);
    assert.throws(() => injectParameters({ 'a-b': 1 }, 'julia'), /"a-b" is not a variable name/);
    assert.throws(() => injectParameters({ f: () => 1 }, 'python'), /f: a function cannot be a parameter value/);
    assert.throws(() => injectParameters({ a: 1 }, 'cobol'), /"cobol"/);
  });
});

describe('fieldFor: parameters as Railbook widgets', () => {
  /** The widget's own initial value passes its schema and gives back the cell's default. */
  function roundTrips(spec: ParameterSpec, opts = {}): void {
    const f = fieldFor(spec, opts);
    assert.ok(f.widget, `a widget for ${spec.name}`);
    const r = f.widget.schema.safeParse(f.widget.initial);
    assert.ok(r.success, `${spec.name}: ${r.error?.issues.map((i) => i.message).join('; ')}`);
    assert.deepEqual(parameterValue(spec, r.data), spec.default);
  }

  test('each type and directive maps to its widget, which validates and round-trips the default', () => {
    const src = [
      'name = "Ada"  # Who to greet',
      'poem = """one\ntwo"""',
      'padded = "  kept  "',
      'flag = True',
      'colour = "red"  # choices: red, green, blue',
      'size = 3  # choices: 1, 3, 5',
      'ratio = 0.5  # range: 0..1 step 0.05',
      'tags = ["a", "c"]  # choices: a, b, c',
      'note = "x"  # textarea',
    ].join('\n');
    const kinds = parseParameters(src, 'python').parameters.map((s) => {
      roundTrips(s);
      return [s.name, fieldFor(s).widget!.kind, fieldFor(s).widget!.label, fieldFor(s).widget!.help];
    });
    assert.deepEqual(kinds, [
      ['name', 'text', 'name', 'Who to greet'],
      ['poem', 'textarea', 'poem', undefined],
      ['padded', 'textarea', 'padded', undefined],
      ['flag', 'switch', 'flag', undefined],
      ['colour', 'dropdown', 'colour', undefined],
      ['size', 'dropdown', 'size', undefined],
      ['ratio', 'range', 'ratio', undefined],
      ['tags', 'checkboxes', 'tags', undefined],
      ['note', 'textarea', 'note', undefined],
    ]);
  });

  test('a value typed in the form becomes the value the code receives', () => {
    const value = (src: string, body: Record<string, string | string[]>) => {
      const spec = only(src);
      const w = fieldFor(spec).widget!;
      const r = w.schema.safeParse(w.fromForm(body, 'f'));
      assert.ok(r.success, r.error?.message);
      return parameterValue(spec, r.data);
    };
    assert.equal(value('size = 3  # choices: 1, 3, 5', { f: '5' }), 5);
    assert.equal(value('ratio = 0.5  # range: 0..1 step 0.05', { f: '0.75' }), 0.75);
    assert.equal(value('flag = True', { f: 'true' }), true);
    assert.equal(value('flag = True', {}), false); // an unticked switch sends nothing
    assert.equal(value('name = "Ada"', { f: '  Grace ' }), 'Grace');
    assert.deepEqual(value('tags = ["a"]  # choices: a, b, c', { f: ['c', 'b'] }), ['b', 'c']);
    // And a bad value is refused by the widget, with its message.
    const spec = only('colour = "red"  # choices: red, green');
    const w = fieldFor(spec).widget!;
    assert.equal(w.schema.safeParse(w.fromForm({ f: 'pink' }, 'f')).success, false);
  });

  test('files from a folder: relative to the notebook, with a pattern; the code receives paths as written', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'railbook-params-'));
    try {
      mkdirSync(path.join(dir, 'data'));
      for (const n of ['a.csv', 'b.csv', 'c.txt']) writeFileSync(path.join(dir, 'data', n), 'x');
      const spec = only('inputs = ["data/a.csv"]  # files: data/*.csv');
      const f = fieldFor(spec, { baseDir: dir });
      assert.equal(f.widget!.kind, 'file-list');
      roundTrips(spec, { baseDir: dir });
      const w = f.widget!;
      assert.deepEqual(parameterValue(spec, w.schema.parse(w.fromForm({ f: ['a.csv', 'b.csv'] }, 'f'))), ['data/a.csv', 'data/b.csv']);
      assert.equal(w.schema.safeParse(['c.txt']).success, false, 'a file outside the pattern is refused');
      const one = only('table = "a.csv"  # files: data/');
      assert.equal(parameterValue(one, fieldFor(one, { baseDir: dir }).widget!.schema.parse(['c.txt'])), 'data/c.txt');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a file upload: the code receives the stored file’s path; nothing uploaded keeps the default', () => {
    const spec = only('table = None  # file: .csv');
    const w = fieldFor(spec).widget!;
    assert.equal(w.kind, 'file-upload');
    const ref = { artifact: true, path: 'artifacts/run-1/abc-t.csv', sha256: 'a'.repeat(64), size: 1, name: 't.csv' };
    assert.equal(parameterValue(spec, ref, { dataDir: '/data' }), path.join('/data', 'artifacts', 'run-1', 'abc-t.csv'));
    assert.equal(parameterValue(spec, undefined), null);
  });

  test('only a bare None has no field', () => {
    assert.deepEqual(parseParameters('thing = None', 'python').parameters.map((s) => fieldFor(s)), [
      { missing: 'type', reason: 'thing = None says nothing about what to ask for: give it a default, a type annotation or a widget comment' },
    ]);
  });
});
