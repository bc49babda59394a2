import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NotebookError, type Notebook } from '../../src/notebooks/notebook.ts';
import { parsePercent, readPercent } from '../../src/notebooks/percent.ts';
import { parseYamlSubset, YamlSubsetError } from '../../src/notebooks/percent-yaml.ts';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/notebooks/percent');
const fixture = (name: string): string => path.join(FIXTURES, name);

/** The parts of each cell a reader of the notebook relies on. */
function cells(nb: Notebook): Array<{ type: string; source: string; tags?: string[]; metadata?: Record<string, unknown>; line?: number | undefined }> {
  return nb.cells.map((c, i) => {
    assert.equal(c.index, i, 'cells are numbered in order');
    assert.deepEqual(c.outputs, []);
    assert.deepEqual(c.tags, (c.metadata['tags'] as string[] | undefined) ?? [], 'tags mirror metadata.tags');
    const out: { type: string; source: string; tags?: string[]; metadata?: Record<string, unknown>; line?: number | undefined } = { type: c.type, source: c.source, line: c.line };
    if (c.tags.length > 0) out.tags = c.tags;
    if (Object.keys(c.metadata).length > 0) out.metadata = c.metadata;
    return out;
  });
}

async function rejectsWith(file: string, problem: RegExp, line?: number): Promise<void> {
  await assert.rejects(readPercent(fixture(file)), (e: unknown) => {
    assert.ok(e instanceof NotebookError, `expected NotebookError, got ${String(e)}`);
    assert.equal(e.file, fixture(file));
    assert.match(e.problem, problem);
    assert.equal(e.where.line, line);
    assert.ok(e.message.startsWith(line === undefined ? `${fixture(file)}: ` : `${fixture(file)}, line ${line}: `), e.message);
    return true;
  });
}

test('a jupytext Python script: header metadata, markdown uncommented, magics restored, titles, raw cells', async () => {
  const nb = await readPercent(fixture('python_header.py'));
  assert.equal(nb.format, 'percent');
  assert.deepEqual(nb.nbformat, { major: 4, minor: 5 });
  assert.equal(nb.file, fixture('python_header.py'));
  assert.deepEqual(nb.kernel, { name: 'python3', displayName: 'Python 3 (ipykernel)', language: 'python' });
  assert.deepEqual(nb.metadata, {
    jupytext: {
      formats: 'ipynb,py:percent',
      text_representation: { extension: '.py', format_name: 'percent', format_version: '1.3', jupytext_version: '1.16.4' },
    },
    kernelspec: { display_name: 'Python 3 (ipykernel)', language: 'python', name: 'python3' },
  });
  assert.deepEqual(cells(nb), [
    { type: 'markdown', source: '# Sales report\n\nReads the **monthly** figures and plots them.', line: 16 },
    { type: 'code', source: 'import pandas as pd\n%matplotlib inline', line: 21 },
    {
      type: 'code',
      source: 'df = pd.read_csv("sales.csv")\n!ls data\ndf.head()',
      tags: ['remove-input'],
      metadata: { tags: ['remove-input'], title: 'Load the data' },
      line: 25,
    },
    // Two blank lines (PEP 8) before a marker are not part of the cell above it.
    { type: 'raw', source: 'raw text, left alone', line: 31 },
    {
      type: 'code',
      source: 'def total(rows):\n    """Sum of rows.\n\n    # %% not a marker: inside a docstring\n    """\n    return sum(rows)',
      line: 34,
    },
    { type: 'code', source: '', line: 43 },
  ]);
});

test('cell options: tags, JSON and Python-literal values, bare keys, a whole JSON object', async () => {
  const nb = await readPercent(fixture('parameters.py'));
  assert.deepEqual(cells(nb), [
    { type: 'code', source: 'name = "world"  # who to greet\ncount = 3', tags: ['parameters'], metadata: { tags: ['parameters'] }, line: 1 },
    {
      type: 'code',
      source: 'print(name * count)',
      tags: ['a', 'b'],
      metadata: { tags: ['a', 'b'], papermill: { duration: 1.5 }, hide: true },
      line: 5,
    },
    {
      type: 'code',
      source: 'name = "Railbook"',
      tags: ['injected-parameters'],
      metadata: { tags: ['injected-parameters'], jupyter: { source_hidden: true } },
      line: 8,
    },
  ]);
  const more = parsePercent("# %% Fit the model tags=['slow'] flag retries=3 ratio=-0.5 note=None\nfit()\n", '/nb/x.py');
  assert.deepEqual(more.cells[0]!.metadata, { title: 'Fit the model', tags: ['slow'], flag: null, retries: 3, ratio: -0.5, note: null });
});

test('hydrogen scripts keep magics as written (bare ones run, commented ones stay comments)', async () => {
  const nb = await readPercent(fixture('hydrogen.py'));
  assert.deepEqual(cells(nb), [
    { type: 'code', source: '%matplotlib inline\nimport numpy as np', line: 1 },
    { type: 'code', source: '# %time is commented here and stays so: hydrogen leaves magics as written\n!pip list\nx = np.arange(3)', line: 5 },
  ]);
  // Named in the header, hydrogen holds even without a bare magic to guess from.
  const named = parsePercent(
    '# ---\n# jupyter:\n#   jupytext:\n#     text_representation:\n#       format_name: hydrogen\n# ---\n\n# %%\n# %time\n',
    '/nb/h.py',
  );
  assert.equal(named.cells[0]!.source, '# %time');
});

test('the percent format uncomments every kind of IPython magic jupytext comments, outside strings', async () => {
  const nb = await readPercent(fixture('magics.py'));
  assert.deepEqual(cells(nb), [
    {
      type: 'code',
      source: [
        '%%time',
        'total = 0',
        'files = !ls',
        'ls -la',
        'cd data',
        'help?',
        'x = 1  # a real comment stays',
        '%load_ext autoreload \\',
        '    extra',
        's = """',
        '# %time inside a string stays commented',
        '"""',
      ].join('\n'),
      line: 1,
    },
  ]);
});

test('R, Julia, TypeScript and JavaScript scripts: comment syntax and kernel from the extension or header', async () => {
  const r = await readPercent(fixture('analysis.R'));
  assert.deepEqual(r.kernel, { name: 'ir', displayName: 'R', language: 'r' });
  assert.deepEqual(cells(r), [
    { type: 'markdown', source: '# R analysis\nA *short* note.', line: 9 },
    { type: 'code', source: 'x <- c(1, 2, 3)\nmean(x)', line: 13 },
  ]);

  const jl = await readPercent(fixture('julia.jl'));
  assert.deepEqual(jl.kernel, { name: undefined, language: 'julia' });
  assert.deepEqual(cells(jl), [
    { type: 'markdown', source: 'Julia notes', line: 1 },
    { type: 'code', source: 'using Statistics\nmean([1, 2, 3])', line: 4 },
  ]);

  const ts = await readPercent(fixture('steps.ts'));
  assert.deepEqual(ts.kernel, { name: undefined, language: 'typescript' });
  assert.deepEqual(ts.metadata, {});
  assert.deepEqual(cells(ts), [
    { type: 'markdown', source: '# TypeScript notebook\nRuns in Node.', line: 1 },
    { type: 'code', source: 'const city: string = "Paris";', tags: ['parameters'], metadata: { tags: ['parameters'] }, line: 5 },
    { type: 'code', source: 'const res = await fetch(`https://example.test/${city}`);\nconsole.log(res.status);', line: 8 },
  ]);

  const js = await readPercent(fixture('plain.js'));
  assert.deepEqual(js.kernel, { name: undefined, language: 'javascript' });
  assert.deepEqual(cells(js), [
    { type: 'code', source: 'const a = 1;', line: 1 },
    { type: 'code', source: 'console.log(a + 1);', metadata: { title: 'Second cell' }, line: 3 },
  ]);
  // A `# %%` in a `//` script is just a comment, and a .mjs is JavaScript too.
  const mjs = parsePercent('// %%\n# %% not ours\nlet x = 1;\n', '/nb/m.mjs');
  assert.deepEqual(cells(mjs), [{ type: 'code', source: '# %% not ours\nlet x = 1;', line: 1 }]);
  assert.equal(mjs.kernel.language, 'javascript');
  // The header is commented with the script's own comment syntax.
  const tsHeader = parsePercent(
    '// ---\n// jupyter:\n//   kernelspec:\n//     display_name: TypeScript\n//     language: typescript\n//     name: tslab\n// ---\n\n// %%\nconst x = 1;\n',
    '/nb/t.ts',
  );
  assert.deepEqual(tsHeader.kernel, { name: 'tslab', displayName: 'TypeScript', language: 'typescript' });
  assert.deepEqual(cells(tsHeader), [{ type: 'code', source: 'const x = 1;', line: 9 }]);
});

test('a script without a header, with code before the first marker, shebang and coding lines', async () => {
  const nb = await readPercent(fixture('preamble.py'));
  assert.deepEqual(nb.kernel, { name: 'python3', language: 'python' });
  assert.deepEqual(nb.metadata, { jupytext: { executable: '/usr/bin/env python3', encoding: '# -*- coding: utf-8 -*-' } });
  assert.deepEqual(cells(nb), [
    { type: 'code', source: 'import sys\nprint("before any marker")', line: 3 },
    { type: 'code', source: 'print("first marked cell")', line: 6 },
  ]);
  // Blank lines before the first marker are no cell; a script with no marker at all is one cell.
  assert.deepEqual(cells(parsePercent('\n\n# %%\nx = 1\n', '/nb/a.py')), [{ type: 'code', source: 'x = 1', line: 3 }]);
  assert.deepEqual(cells(parsePercent('x = 1\ny = 2\n', '/nb/b.py')), [{ type: 'code', source: 'x = 1\ny = 2', line: 1 }]);
});

test('CRLF line endings and a byte-order mark read the same as LF', async () => {
  const nb = await readPercent(fixture('crlf.py'));
  assert.deepEqual(cells(nb), [
    { type: 'markdown', source: 'Windows text', line: 1 },
    { type: 'code', source: 'x = 1\ny = 2', line: 4 },
  ]);
  assert.deepEqual(cells(parsePercent('\uFEFF# %%\r\nx = 1', '/nb/c.py')), [{ type: 'code', source: 'x = 1', line: 1 }]);
});

test('an empty file is a notebook with no cells', async () => {
  const nb = await readPercent(fixture('empty.py'));
  assert.deepEqual(nb.cells, []);
  assert.deepEqual(nb.kernel, { name: 'python3', language: 'python' });
});

test('marker variants: [md], sub-cells, In[n]:, <codecell>, #%%, active cells, docstring markdown', async () => {
  const nb = await readPercent(fixture('depth_and_aliases.py'));
  assert.deepEqual(cells(nb), [
    { type: 'markdown', source: 'Spyder and VS Code write `[md]`.', metadata: { region_name: 'md', title: 'A note' }, line: 1 },
    { type: 'code', source: 'y = 2', metadata: { cell_depth: 1, title: 'Sub-cell' }, line: 4 },
    { type: 'code', source: 'z = 3', line: 7 },
    { type: 'code', source: 'w = 4', line: 10 },
    { type: 'code', source: 'v = 5', line: 13 },
    // Active only in the notebook: written commented in the script, live in Jupyter.
    { type: 'code', source: '%pip install requests', metadata: { active: 'ipynb' }, line: 16 },
    // Active only in the script: not a notebook cell to run, kept as written.
    { type: 'raw', source: '# kept as written\nprint("script only")', metadata: { active: 'py' }, line: 19 },
    { type: 'markdown', source: 'A markdown cell\nwritten as a docstring.', line: 23 },
  ]);
});

test('front matter outside jupyter: becomes a raw cell; the jupyter: YAML is read as PyYAML writes it', async () => {
  const nb = await readPercent(fixture('front_matter.py'));
  const long = 'Python 3.12 (a long name that PyYAML would wrap because it is longer than eighty characters)';
  assert.deepEqual(nb.kernel, { name: 'py312', displayName: long, language: 'python' });
  assert.deepEqual(nb.metadata, {
    jupytext: {
      cell_metadata_filter: 'tags,title,-all',
      formats: 'ipynb,py:percent',
      notebook_metadata_filter: 'language_info',
      text_representation: {},
    },
    kernelspec: { display_name: long, language: 'python', name: 'py312' },
    language_info: { name: 'python', version: '3.12.1', codemirror_mode: { name: 'ipython', version: 3 } },
    widgets: [],
    authors: [{ name: 'Ada', role: "author's own" }, 'Grace'],
    description: 'a plain scalar that goes on over a second line',
  });
  assert.deepEqual(cells(nb), [
    { type: 'raw', source: '---\ntitle: Quarterly numbers\nauthor: Ada\n---', line: 1 },
    { type: 'code', source: 'print("hi")', line: 30 },
  ]);
});

test('the kernel language falls back to language_info, then to the extension', () => {
  const viaInfo = parsePercent('# ---\n# jupyter:\n#   language_info:\n#     name: R\n# ---\n# %%\nx <- 1\n', '/nb/s.py');
  assert.deepEqual(viaInfo.kernel, { name: undefined, language: 'r' });
  const viaMain = parsePercent('# ---\n# jupyter:\n#   jupytext:\n#     main_language: python\n# ---\n# %%\nx = 1\n', '/nb/s.py');
  assert.deepEqual(viaMain.kernel, { name: 'python3', language: 'python' });
});

test('malformed scripts: one NotebookError naming the file, the line and the problem', async () => {
  await rejectsWith('unterminated.py', /YAML header .* is never closed: end it with a line "# ---"/, 1);
  await rejectsWith('bad_options.py', /cannot read the cell options in "# %% tags=\["parameters"": expected "," or "\]"/, 4);
  await rejectsWith('bad_yaml.py', /cannot read the YAML header: .*anchors, aliases, tags and block scalars/, 4);
  await rejectsWith('light.py', /jupytext "light" script, not a percent one; convert it with: jupytext --to py:percent light\.py/, 1);
  await rejectsWith('kernel_mismatch.R', /"kernelspec" must be a mapping/, 1);
  await rejectsWith('bad_tags.py', /tags must be a list of strings/, 1);
  await rejectsWith('notes.txt', /"\.txt" is not a script extension with a known comment syntax; percent scripts end in \.py, \.r, \.jl/);
  await rejectsWith('missing.py', /^no such file$/);
});

test('more malformed options and headers', () => {
  const problem = (text: string, file = '/nb/x.py'): string => {
    try {
      parsePercent(text, file);
    } catch (e) {
      assert.ok(e instanceof NotebookError, String(e));
      return `${e.where.line}: ${e.problem}`;
    }
    assert.fail('expected a NotebookError');
  };
  assert.match(problem('# %% key=unquoted words\nx\n'), /^1: cannot read the cell options .*quote strings/);
  assert.match(problem('# %%\nx\n# %% {"tags": ["a"]\ny\n'), /^3: cannot read the cell options/);
  assert.match(problem('# %% {"cell_type": "heading"}\nx\n'), /^1: unknown cell_type "heading"/);
  assert.match(problem('# ---\n# jupyter:\n#   kernelspec:\n#     name: python3\n#    bad: indent\n# ---\n'), /^5: cannot read the YAML header: unexpected indentation/);
  assert.match(problem('# ---\n# jupyter:\n#   a: 1\n#   a: 2\n# ---\n'), /^4: cannot read the YAML header: duplicate key "a"/);
  assert.match(problem('# ---\n# jupyter:\n#   - a\n# ---\n'), /^2: the header's "jupyter:" must hold a mapping/);
  // `jupyter: 3` is not jupytext's section (that is `jupyter:` alone): it is front matter, kept raw.
  assert.equal(parsePercent('# ---\n# jupyter: 3\n# ---\n', '/nb/x.py').cells[0]!.source, '---\njupyter: 3\n---');
  assert.match(problem('# ---\n# jupyter:\n#   kernelspec:\n#     name: [python3]\n# ---\n'), /^1: the header's kernelspec name must be text/);
  assert.match(problem('# -*- coding: latin-1 -*-\nx = 1\n'), /^1: the file declares encoding latin-1; only UTF-8 is read/);
  assert.match(problem('x', '/nb/Makefile'), /^undefined: "\(no extension\)" is not a script extension/);
});

test('a file that is not UTF-8 is refused with what to do', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'percent-'));
  const file = path.join(dir, 'latin.py');
  writeFileSync(file, Buffer.from([0x23, 0x20, 0x25, 0x25, 0x0a, 0x78, 0x20, 0x3d, 0x20, 0xe9, 0x0a]));
  await assert.rejects(readPercent(file), (e: unknown) => e instanceof NotebookError && /not UTF-8 text; save it as UTF-8/.test(e.message));
});

test('the header YAML subset: what PyYAML safe_dump writes, and clear refusals of the rest', () => {
  assert.deepEqual(
    parseYamlSubset([
      'a: plain text',
      'b: "esc \\"q\\" \\u00e9\\ttab"',
      "c: 'it''s'",
      'd: [1, two, "three", {k: v}]',
      'e: {}',
      'n: null',
      'm: ~',
      't: true',
      'f: False',
      'i: -12',
      'x: 1.5e3',
      'v: 1.16.4',
      's: with # comment',
      '# a comment line',
      'list:',
      '- 1',
      '-   nested: yes',
      '    more: 2',
      'deep:',
      '  inner:',
      '    - a',
      '    - b',
      'empty:',
      '"quoted key": 1',
    ]),
    {
      a: 'plain text',
      b: 'esc "q" é\ttab',
      c: "it's",
      d: [1, 'two', 'three', { k: 'v' }],
      e: {},
      n: null,
      m: null,
      t: true,
      f: false,
      i: -12,
      x: 1500,
      v: '1.16.4',
      s: 'with',
      list: [1, { nested: 'yes', more: 2 }],
      deep: { inner: ['a', 'b'] },
      empty: null,
      'quoted key': 1,
    },
  );
  const refuses = (lines: string[], re: RegExp, line: number): void => {
    assert.throws(
      () => parseYamlSubset(lines),
      (e: unknown) => e instanceof YamlSubsetError && re.test(e.message) && e.line === line,
    );
  };
  refuses(['a: |', '  text'], /block scalars/, 0);
  refuses(['a: *ref'], /aliases/, 0);
  refuses(['a: 1', 'b'], /expected "key: value"/, 1);
  refuses(['- a'], /must be a mapping/, 0);
  refuses(['a: "open', 'b: 1'], /unterminated double-quoted string/, 0);
  refuses(['a: [1, 2'], /flow collections must close on their line/, 0);
  refuses(['a: 1', '\tb: 2'], /tabs cannot indent YAML/, 1);
});
