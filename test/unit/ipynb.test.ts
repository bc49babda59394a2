import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseIpynb, readIpynb } from '../../src/notebooks/ipynb.ts';
import { NotebookError, type Notebook } from '../../src/notebooks/notebook.ts';
import { tempDir } from '../helpers/temp-engine.ts';

const DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/notebooks/ipynb');
const fixture = (name: string): string => path.join(DIR, name);
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const VALID = ['v4.0.ipynb', 'v4.4.ipynb', 'v4.5-ids.ipynb', 'v3-worksheets.ipynb'];

/** The cells reduced to what a test compares: everything but metadata and outputs, plus tags. */
const brief = (nb: Notebook) => nb.cells.map((c) => ({ type: c.type, id: c.id, source: c.source, tags: c.tags }));

async function rejectsWith(file: string, message: string, cell?: number): Promise<void> {
  await assert.rejects(readIpynb(file), (e: unknown) => {
    assert.ok(e instanceof NotebookError, `expected a NotebookError, got ${String(e)}`);
    assert.equal(e.message, message);
    assert.equal(e.where.cell, cell);
    return true;
  });
}

function parseFails(text: string, message: string): void {
  assert.throws(() => parseIpynb(text, '/nb/x.ipynb'), (e: unknown) => {
    assert.ok(e instanceof NotebookError, `expected a NotebookError, got ${String(e)}`);
    assert.equal(e.message, message);
    return true;
  });
}

/** A v4.5 notebook text around the given cells. */
const v45 = (cells: unknown[], extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ cells, metadata: {}, nbformat: 4, nbformat_minor: 5, ...extra });
const code = (fields: Record<string, unknown> = {}) => ({ cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source: 'x = 1', ...fields });

test('nbformat 4.0: lists of lines joined, no ids, kernel from the kernelspec, outputs kept', async () => {
  const nb = await readIpynb(fixture('v4.0.ipynb'));
  assert.equal(nb.file, fixture('v4.0.ipynb'));
  assert.equal(nb.format, 'ipynb');
  assert.deepEqual(nb.nbformat, { major: 4, minor: 0 });
  assert.deepEqual(nb.kernel, { name: 'python3', displayName: 'Python 3', language: 'python' });
  assert.deepEqual(brief(nb), [
    { type: 'markdown', id: undefined, source: '# Sales report\n\nSums the sales.', tags: [] },
    { type: 'code', id: undefined, source: "rows = [1, 2, 3]\nprint(f'loaded {len(rows)} rows')\nsum(rows)", tags: [] },
    { type: 'code', id: undefined, source: 'x = 1', tags: [] },
  ]);
  assert.deepEqual(nb.cells.map((c) => c.index), [0, 1, 2]);
  assert.deepEqual(nb.cells[1]!.metadata, { collapsed: false });
  assert.deepEqual(nb.cells[1]!.outputs, [
    { name: 'stdout', output_type: 'stream', text: ['loaded 3 rows\n'] },
    { data: { 'text/plain': ['6'] }, execution_count: 1, metadata: {}, output_type: 'execute_result' },
  ]);
  assert.deepEqual(nb.cells[0]!.outputs, []);
  assert.deepEqual(nb.metadata.language_info, { name: 'python', version: '3.4.3' });
});

test('nbformat 4.4: raw cells, tags, error and image outputs; language from language_info, lower-cased', async () => {
  const nb = await readIpynb(fixture('v4.4.ipynb'));
  assert.deepEqual(nb.nbformat, { major: 4, minor: 4 });
  // This kernelspec (IRkernel's) names no language: language_info's "R" stands in.
  assert.deepEqual(nb.kernel, { name: 'ir', displayName: 'R', language: 'r' });
  assert.deepEqual(brief(nb), [
    { type: 'raw', id: undefined, source: '.. note:: raw cells pass through nbconvert untouched', tags: [] },
    { type: 'code', id: undefined, source: 'n <- 10\nlabel <- "run"', tags: ['parameters'] },
    { type: 'code', id: undefined, source: 'stop("boom")', tags: ['raises-exception'] },
  ]);
  assert.deepEqual(nb.cells[0]!.metadata, { format: 'text/restructuredtext' });
  assert.deepEqual(nb.cells[2]!.outputs.map((o) => o.output_type), ['error', 'display_data']);
  assert.equal(nb.metadata.title, 'An R notebook');
});

test('nbformat 4.5: cell ids (up to 64 characters), attachments, empty source, transient `trusted` dropped', async () => {
  const nb = await readIpynb(fixture('v4.5-ids.ipynb'));
  assert.deepEqual(nb.nbformat, { major: 4, minor: 5 });
  assert.deepEqual(nb.kernel, { name: 'tslab', displayName: 'TypeScript', language: 'typescript' });
  const longId = 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8s9T0u1V2w3X4y5Z6-_abcdefghij';
  assert.equal(longId.length, 64);
  assert.deepEqual(brief(nb), [
    { type: 'markdown', id: 'intro', source: '# Greeting\n\n![logo](attachment:logo.png)', tags: [] },
    { type: 'code', id: 'set-name_1', source: 'const name: string = "world";', tags: ['parameters'] },
    { type: 'code', id: longId, source: 'console.log(`hello ${name}`);', tags: [] },
    { type: 'raw', id: '0', source: '', tags: [] },
  ]);
  assert.deepEqual(nb.cells[1]!.metadata, { tags: ['parameters'] });
  assert.deepEqual(nb.cells[2]!.outputs[1], {
    data: { 'application/json': { greeting: 'hello', n: [1, 2] }, 'text/plain': "{ greeting: 'hello' }" },
    metadata: {},
    output_type: 'display_data',
  });
});

test('nbformat 3: worksheets flattened, heading cells become # headings, v3 outputs renamed', async () => {
  const nb = await readIpynb(fixture('v3-worksheets.ipynb'));
  assert.deepEqual(nb.nbformat, { major: 4, minor: 5 });
  // No kernelspec in IPython 2 files: the code cells' `language` gives the kernel language.
  assert.deepEqual(nb.kernel, { name: undefined, displayName: undefined, language: 'python' });
  assert.deepEqual(nb.metadata, { celltoolbar: 'Tags', orig_nbformat: 3, orig_nbformat_minor: 0 });
  assert.deepEqual(brief(nb), [
    { type: 'markdown', id: undefined, source: '# Old analysis', tags: [] },
    { type: 'markdown', id: undefined, source: 'Written with IPython 2.\nLines split without their newlines.', tags: [] },
    { type: 'markdown', id: undefined, source: '### A heading over two lines', tags: [] },
    { type: 'code', id: undefined, source: "import json\nprint('hi')\n{'a': 1}", tags: ['parameters'] },
    { type: 'code', id: undefined, source: "display(Image('x.png'))", tags: [] },
    { type: 'raw', id: undefined, source: 'raw text', tags: [] },
    { type: 'code', id: undefined, source: '', tags: [] },
  ]);
  assert.deepEqual(nb.cells[3]!.metadata, { tags: ['parameters'], collapsed: false });
  assert.deepEqual(nb.cells[3]!.outputs, [
    { output_type: 'stream', name: 'stderr', text: 'hi\n' },
    { output_type: 'execute_result', execution_count: 3, metadata: {}, data: { 'text/plain': "{'a': 1}", 'text/html': '<b>a</b>\n<i>1</i>' } },
  ]);
  assert.deepEqual(nb.cells[4]!.metadata, { collapsed: true });
  assert.deepEqual(nb.cells[4]!.outputs, [
    { output_type: 'display_data', metadata: { 'image/png': { width: 10 } }, data: { 'image/png': PNG, 'application/json': { k: [1, 2] } } },
    { output_type: 'error', ename: 'ZeroDivisionError', evalue: 'division by zero', traceback: ['ZeroDivisionError: division by zero'] },
    { output_type: 'stream', name: 'stdout', text: 'printed' },
  ]);
});

test("nbformat 3: the defaults Jupyter's upgrade fills in", () => {
  const nb = parseIpynb(JSON.stringify({
    nbformat: 3, nbformat_minor: 0, metadata: { name: 'x' },
    worksheets: [{ cells: [
      { cell_type: 'heading', source: 'No level' },
      { cell_type: 'heading', level: 7, source: 'Deep' },
      { cell_type: 'html', source: '<p>hi</p>' },
      { cell_type: 'code', outputs: [{ output_type: 'stream', text: ['a', 'b'] }] },
    ] }],
  }), '/nb/old.ipynb');
  assert.deepEqual(brief(nb).map((c) => [c.type, c.source]), [
    ['markdown', '# No level'], ['markdown', '####### Deep'], ['markdown', '<p>hi</p>'], ['code', ''],
  ]);
  assert.deepEqual(nb.cells.map((c) => c.metadata), [{}, {}, {}, {}]);
  // Lines that lost their newlines are joined with "\n"; a stream with no name is stdout.
  assert.deepEqual(nb.cells[3]!.outputs, [{ output_type: 'stream', name: 'stdout', text: 'a\nb' }]);
  assert.equal(nb.kernel.language, undefined);
});

test('malformed files: one message naming the file, the cell and the problem', async () => {
  const cases: Array<[string, string, number?]> = [
    ['truncated.ipynb', 'not valid JSON: the file ends too early (truncated, or saved while being written?)'],
    ['syntax-error.ipynb', "not valid JSON: Expected ',' or '}' after property value (column 2)"],
    ['missing-cells.ipynb', 'no `cells` list: the file is not a complete nbformat 4 notebook — open and save it in Jupyter'],
    ['unknown-cell-type.ipynb', 'unknown cell type "widget" (expected "code", "markdown" or "raw")', 2],
    ['bad-id.ipynb', 'bad cell id "not ok!": an id is 1–64 characters, each a letter, digit, "-" or "_"', 1],
    ['duplicate-id.ipynb', 'duplicate cell id "load" (cell 0 has it too): cell ids must be unique — give this cell another id, or delete its "id" and let Jupyter make one', 2],
    ['nbformat-5.ipynb', 'nbformat 5 is newer than this reader understands (nbformat 3 and 4.0–4.5): save it as nbformat 4 from Jupyter'],
    ['nbformat-2.ipynb', 'nbformat 2 is too old: open and save it in Jupyter (or run `jupyter nbconvert --to notebook`), which rewrites it as nbformat 4'],
    ['source-wrong-type.ipynb', '`source` is a number: it must be a string or a list of strings', 1],
    ['v3-bad-heading.ipynb', "heading cell's `level` is 0: it must be a whole number from 1 (1–6 in practice)", 1],
  ];
  for (const [name, problem, cell] of cases) {
    const where = name === 'syntax-error.ipynb' ? ', line 4' : cell !== undefined ? `, cell ${cell}` : '';
    await rejectsWith(fixture(name), `${fixture(name)}${where}: ${problem}`, cell);
  }
  await rejectsWith(fixture('no-such.ipynb'), `${fixture('no-such.ipynb')}: cannot be read: no such file`);
});

test('structural problems inside cells, outputs and metadata are named precisely', () => {
  const cases: Array<[string, string]> = [
    ['', '/nb/x.ipynb: the file is empty: it is not a notebook (yet)'],
    ['[1, 2]', '/nb/x.ipynb: not a Jupyter notebook: the file holds a list, not a notebook object'],
    ['{"cells": []}', '/nb/x.ipynb: not a Jupyter notebook: it has no `nbformat` version field'],
    ['{"nbformat": "4", "nbformat_minor": 5, "cells": [], "metadata": {}}', '/nb/x.ipynb: `nbformat` is "4": it must be a whole number (4 for current notebooks)'],
    ['{"nbformat": 4, "cells": [], "metadata": {}}', '/nb/x.ipynb: no `nbformat_minor` field: an nbformat 4 notebook needs one (0–5)'],
    ['{"nbformat": 4, "nbformat_minor": 5, "cells": []}', '/nb/x.ipynb: no top-level `metadata` object: a notebook needs one (use {} for none)'],
    ['{"nbformat": 4, "nbformat_minor": 5, "cells": {}, "metadata": {}}', '/nb/x.ipynb: `cells` is an object, not a list'],
    [v45([code(), 'print(1)']), '/nb/x.ipynb, cell 1: is a string, not a cell object'],
    [v45([{ metadata: {}, source: '' }]), '/nb/x.ipynb, cell 0: has no `cell_type` (expected "code", "markdown" or "raw")'],
    [v45([{ cell_type: 'heading', level: 1, metadata: {}, source: 'Title' }]),
      '/nb/x.ipynb, cell 0: unknown cell type "heading" (expected "code", "markdown" or "raw") — heading cells are nbformat 3; in nbformat 4 they are markdown cells starting with #'],
    [v45([code({ id: 'x'.repeat(65) })]), `/nb/x.ipynb, cell 0: bad cell id "${'x'.repeat(65)}": an id is 1–64 characters, each a letter, digit, "-" or "_"`],
    [v45([code({ id: '' })]), '/nb/x.ipynb, cell 0: bad cell id "": an id is 1–64 characters, each a letter, digit, "-" or "_"'],
    [v45([code({ id: 7 })]), '/nb/x.ipynb, cell 0: bad cell id 7: an id is 1–64 characters, each a letter, digit, "-" or "_"'],
    [v45([code({ metadata: undefined })]), '/nb/x.ipynb, cell 0: has no `metadata` object (use {} for none)'],
    [v45([code({ metadata: { tags: 'parameters' } })]), '/nb/x.ipynb, cell 0: metadata.tags is a string: tags are a list of strings'],
    [v45([code({ metadata: { tags: ['a', 1] } })]), '/nb/x.ipynb, cell 0: metadata.tags is a list holding something other than strings: tags are a list of strings'],
    [v45([code({ source: undefined })]), '/nb/x.ipynb, cell 0: has no `source` (a string, or a list of strings)'],
    [v45([code({ source: ['a\n', 2] })]), '/nb/x.ipynb, cell 0: `source` is a list: it must be a string or a list of strings'],
    [v45([code({ outputs: undefined })]), '/nb/x.ipynb, cell 0: code cell has no `outputs` list (use [] for none)'],
    [v45([code({ execution_count: undefined })]), '/nb/x.ipynb, cell 0: code cell has no `execution_count` (use null for a cell not run)'],
    [v45([code({ execution_count: -1 })]), '/nb/x.ipynb, cell 0: `execution_count` is -1: it must be a whole number ≥ 0, or null'],
    [v45([code({ outputs: [{ output_type: 'pyout', text: '1' }] })]),
      '/nb/x.ipynb, cell 0: output 0: unknown output type "pyout" (expected "execute_result", "display_data", "stream" or "error")'],
    [v45([code({ outputs: [{ output_type: 'stream', name: 'stdout', text: 'ok' }, { output_type: 'stream', text: 'x' }] })]),
      "/nb/x.ipynb, cell 0: output 1: stream output's `name` is undefined, not a string"],
    [v45([code({ outputs: [{ output_type: 'display_data', data: { 'text/plain': 5 }, metadata: {} }] })]),
      '/nb/x.ipynb, cell 0: output 0: `data` "text/plain" is a number: it must be a string or a list of strings'],
    [v45([code({ outputs: [{ output_type: 'execute_result', data: {}, metadata: {} }] })]),
      '/nb/x.ipynb, cell 0: output 0: execute_result output needs an `execution_count` (a whole number ≥ 0, or null)'],
    [v45([code({ outputs: [{ output_type: 'error', ename: 'E', evalue: 'v', traceback: 'tb' }] })]),
      "/nb/x.ipynb, cell 0: output 0: error output's `traceback` must be a list of strings"],
    [v45([{ cell_type: 'markdown', metadata: {}, source: '', attachments: { 'a.png': 'data' } }]),
      '/nb/x.ipynb, cell 0: attachment "a.png": is a string, not an object keyed by mimetype'],
    [v45([], { metadata: { kernelspec: 'python3' } }), '/nb/x.ipynb: metadata.kernelspec is a string, not an object'],
    [v45([], { metadata: { kernelspec: { name: 3, display_name: 'Python' } } }), '/nb/x.ipynb: metadata.kernelspec.name is a number, not a string'],
    ['{"nbformat": 3, "nbformat_minor": 0, "metadata": {}}', '/nb/x.ipynb: nbformat 3 notebook without `worksheets`: open and save it in Jupyter'],
    ['{"nbformat": 3, "nbformat_minor": 0, "worksheets": []}', '/nb/x.ipynb: nbformat 3 notebook without a top-level `metadata` object: open and save it in Jupyter'],
    [JSON.stringify({ nbformat: 3, nbformat_minor: 0, metadata: {}, worksheets: [{ cells: [{ cell_type: 'code', input: 1, outputs: [] }] }] }),
      '/nb/x.ipynb, cell 0: `input` is a number: it must be a string or a list of strings'],
    [JSON.stringify({ nbformat: 3, nbformat_minor: 0, metadata: {}, worksheets: [{ cells: [{ cell_type: 'code', input: '', outputs: [{ output_type: 'pyout', json: '{no' }] }] }] }),
      '/nb/x.ipynb, cell 0: output 0: its `json` data is not valid JSON'],
    [JSON.stringify({ nbformat: 3, nbformat_minor: 0, metadata: {}, worksheets: [{ cells: [{ cell_type: 'slide', source: '' }] }] }),
      '/nb/x.ipynb, cell 0: unknown nbformat 3 cell type "slide" (expected "code", "markdown", "raw" or "heading")'],
  ];
  for (const [text, message] of cases) parseFails(text, message);
});

test('tolerated: unknown extra metadata, a 4.5 cell without an id, a newer 4.x minor, a byte-order mark', () => {
  const nb = parseIpynb('\uFEFF' + v45([code({ metadata: { vscode: { languageId: 'python' }, editable: false } })],
    { metadata: { jupytext: { formats: 'ipynb,py:percent' } }, nbformat_minor: 7 }), 'rel/x.ipynb');
  assert.equal(nb.file, path.resolve('rel/x.ipynb'));
  assert.deepEqual(nb.nbformat, { major: 4, minor: 7 });
  assert.equal(nb.cells[0]!.id, undefined);
  assert.deepEqual(nb.cells[0]!.metadata, { vscode: { languageId: 'python' }, editable: false });
  assert.deepEqual(nb.metadata, { jupytext: { formats: 'ipynb,py:percent' } });
  assert.deepEqual(nb.kernel, { name: undefined, displayName: undefined, language: undefined });
});

test('a 10 MB cell is read whole, and a problem after it still names its cell', async () => {
  const tmp = tempDir('railbook-ipynb-');
  try {
    const line = `data.append(${JSON.stringify('x'.repeat(90))})\n`;
    const lines = Array.from({ length: Math.ceil(10_000_000 / line.length) }, () => line);
    const big = path.join(tmp.dir, 'big.ipynb');
    writeFileSync(big, v45([code({ id: 'big', source: lines }), code({ id: 'after', source: 'print(len(data))' })]));
    const nb = await readIpynb(big);
    assert.equal(nb.cells.length, 2);
    assert.ok(nb.cells[0]!.source.length >= 10_000_000);
    assert.equal(nb.cells[0]!.source, lines.join(''));
    assert.equal(nb.cells[1]!.source, 'print(len(data))');

    const broken = path.join(tmp.dir, 'broken.ipynb');
    writeFileSync(broken, v45([code({ id: 'big', source: lines }), code({ id: 'big' })]));
    await rejectsWith(broken, `${broken}, cell 1: duplicate cell id "big" (cell 0 has it too): cell ids must be unique — give this cell another id, or delete its "id" and let Jupyter make one`, 1);
  } finally {
    tmp.cleanup();
  }
});

// Jupyter's own nbformat library, as the reference: the notebooks called valid here are valid to
// its validator, the malformed ones are refused by it too (except nbformat 2, which Jupyter still
// converts but this reader sends back to Jupyter), and the v3 upgrade gives what it gives.
const PY_CHECK = `
import json, sys
import nbformat
out = {"valid": {}, "converted": None}
for f in sys.argv[2:]:
    try:
        nbformat.validate(json.load(open(f)), repair_duplicate_cell_ids=False)
        out["valid"][f] = "ok"
    except Exception as e:
        out["valid"][f] = type(e).__name__ + ": " + str(e).splitlines()[0]
out["converted"] = nbformat.convert(nbformat.reads(open(sys.argv[1]).read(), as_version=nbformat.NO_CONVERT), 4)
print(json.dumps(out))
`;

function nbformatReference(v3File: string, files: string[]): { valid: Record<string, string>; converted: { metadata: unknown; cells: Array<Record<string, unknown>> } } {
  let stdout: string;
  try {
    stdout = execFileSync('/usr/bin/python3', ['-c', PY_CHECK, v3File, ...files], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const stderr = String((e as { stderr?: unknown }).stderr ?? e);
    if (/No module named 'nbformat'/.test(stderr) || /ENOENT/.test(stderr)) {
      assert.fail('Jupyter\'s nbformat library is needed to check the .ipynb reader against it: apt-get install -y python3-nbformat');
    }
    throw e;
  }
  return JSON.parse(stdout);
}

test("agrees with Jupyter's nbformat: validity of the fixtures and the nbformat 3 conversion", async () => {
  const malformed = ['truncated.ipynb', 'missing-cells.ipynb', 'unknown-cell-type.ipynb', 'bad-id.ipynb', 'duplicate-id.ipynb',
    'nbformat-5.ipynb', 'source-wrong-type.ipynb', 'syntax-error.ipynb'];
  const ref = nbformatReference(fixture('v3-worksheets.ipynb'), [...VALID, ...malformed].map(fixture));
  for (const name of VALID) assert.equal(ref.valid[fixture(name)], 'ok', `${name} should be valid to nbformat`);
  for (const name of malformed) assert.notEqual(ref.valid[fixture(name)], 'ok', `${name} should be invalid to nbformat too`);

  const ours = await readIpynb(fixture('v3-worksheets.ipynb'));
  assert.deepEqual(ours.metadata, ref.converted.metadata);
  assert.deepEqual(
    ours.cells.map((c) => ({ cell_type: c.type, source: c.source, metadata: c.metadata, outputs: c.type === 'code' ? c.outputs : undefined })),
    ref.converted.cells.map((c) => {
      // nbformat's v3 path keeps the transient `trusted` flag its v4 reader drops; ours drops it always.
      const { trusted: _trusted, ...metadata } = c.metadata as Record<string, unknown>;
      return { cell_type: c.cell_type, source: c.source, metadata, outputs: c.outputs };
    }),
  );
});
