import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseIpynb, readIpynb } from '../../src/notebooks/ipynb.ts';
import { readPercent } from '../../src/notebooks/percent.ts';
import { cellIds, splitLines, writeIpynb } from '../../src/notebooks/ipynb-write.ts';
import type { Notebook, NotebookCell } from '../../src/notebooks/notebook.ts';
import { tempDir } from '../helpers/temp-engine.ts';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/notebooks');
const VALID_IPYNB = ['v4.0.ipynb', 'v4.4.ipynb', 'v4.5-ids.ipynb', 'v3-worksheets.ipynb'];
// Every percent fixture the percent reader accepts (the others are there to be refused).
const VALID_PERCENT = [
  'analysis.R', 'crlf.py', 'depth_and_aliases.py', 'empty.py', 'front_matter.py', 'hydrogen.py', 'julia.jl',
  'magics.py', 'parameters.py', 'plain.js', 'preamble.py', 'python_header.py', 'steps.ts',
];
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const CELL_ID = /^[a-zA-Z0-9_-]{1,64}$/;

// Jupyter's own check of each file: nbformat reads it, validates it against the nbformat 4 schema,
// and writes it again; the text it writes is printed so the test can compare it with ours.
const PY_JUPYTER = `
import json, sys, nbformat
out = {}
for f in sys.argv[1:]:
    nb = nbformat.read(f, as_version=4)
    nbformat.validate(nb)
    out[f] = nbformat.writes(nb) + "\\n"
print(json.dumps(out))
`;

/** Each file validated by Jupyter's nbformat; what Jupyter writes back for it. */
function jupyter(files: string[]): Record<string, string> {
  try {
    return JSON.parse(execFileSync('/usr/bin/python3', ['-c', PY_JUPYTER, ...files], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })) as Record<string, string>;
  } catch (e) {
    const stderr = String((e as { stderr?: unknown }).stderr ?? e);
    if (/No module named 'nbformat'/.test(stderr) || /ENOENT/.test(stderr)) {
      assert.fail('Jupyter\'s nbformat library is needed to check written notebooks: apt-get install -y python3-nbformat');
    }
    assert.fail(`Jupyter refused a written notebook:\n${stderr}`);
  }
}

/** Writes the notebook into `dir` and has Jupyter validate it; returns the text written. */
function writeAndValidate(nb: Notebook, dir: string, name: string): { text: string; file: string } {
  const file = path.join(dir, name);
  const text = writeIpynb(nb);
  writeFileSync(file, text);
  const rewritten = jupyter([file])[file];
  // Byte for byte what Jupyter itself writes for the same notebook: key order, indent, line splits.
  assert.equal(text, rewritten, `${name}: written differently from Jupyter`);
  return { text, file };
}

/** nbformat's rejoin_lines for one output, so stored string vs list-of-lines forms compare equal. */
function joined(output: Record<string, unknown>): Record<string, unknown> {
  const join = (v: unknown): unknown => (Array.isArray(v) && v.every((s) => typeof s === 'string') ? v.join('') : v);
  const out = { ...output };
  if (out.text !== undefined) out.text = join(out.text);
  if (typeof out.data === 'object' && out.data !== null) {
    out.data = Object.fromEntries(Object.entries(out.data).map(([mime, v]) => [mime, /json$/.test(mime) ? v : join(v)]));
  }
  return out;
}

/** What a round trip must keep of a cell (its id only where it had one; `line` is a script's). */
function kept(cell: NotebookCell, withId: boolean): Record<string, unknown> {
  const { id, line: _line, outputs, attachments, metadata, executionCount, ...rest } = cell;
  const meta = { ...metadata };
  if (cell.tags.length === 0 && Array.isArray(meta.tags) && meta.tags.length === 0) delete meta.tags;
  const bundles = attachments && Object.fromEntries(Object.entries(attachments).map(([k, v]) => [k, joined({ data: v }).data]));
  // A script's code cells were never run: no count in the model, null (not run) in a file.
  const count = cell.type === 'code' ? executionCount ?? null : executionCount;
  return { ...rest, executionCount: count, metadata: meta, outputs: outputs.map(joined), attachments: bundles, ...(withId ? { id } : {}) };
}

test('every valid .ipynb fixture: read → write → read gives the same notebook, and Jupyter accepts the file', async () => {
  const tmp = tempDir();
  try {
    for (const name of VALID_IPYNB) {
      const before = await readIpynb(path.join(FIXTURES, 'ipynb', name));
      const { text, file } = writeAndValidate(before, tmp.dir, name);
      const after = await readIpynb(file);
      assert.deepEqual(after.nbformat, { major: 4, minor: 5 }, name);
      assert.deepEqual(after.kernel, before.kernel, name);
      const { orig_nbformat: _o, orig_nbformat_minor: _m, ...meta } = before.metadata;
      // nbformat 3 kept the language on code cells; written out, it goes where v4 keeps it.
      const language = before.metadata.language_info === undefined && before.kernel.language ? { language_info: { name: before.kernel.language } } : {};
      assert.deepEqual(after.metadata, { ...meta, ...language }, `${name}: notebook metadata`);
      assert.equal(after.cells.length, before.cells.length, name);
      before.cells.forEach((cell, i) => {
        assert.deepEqual(kept(after.cells[i]!, cell.id !== undefined), kept(cell, cell.id !== undefined), `${name}, cell ${i}`);
      });
      // Writing what was read back changes nothing: the file is a fixed point.
      assert.equal(writeIpynb(after), text, `${name}: second write differs`);
    }
  } finally {
    tmp.cleanup();
  }
});

test('the readers keep execution counts and attachments for the writer', async () => {
  const v45 = await readIpynb(path.join(FIXTURES, 'ipynb', 'v4.5-ids.ipynb'));
  assert.deepEqual(v45.cells.map((c) => c.executionCount), [undefined, 1, 2, undefined]);
  assert.deepEqual(v45.cells[0]!.attachments, { 'logo.png': { 'image/png': PNG } });
  assert.deepEqual(v45.cells[3]!.attachments, {});
  const v40 = await readIpynb(path.join(FIXTURES, 'ipynb', 'v4.0.ipynb'));
  assert.deepEqual(v40.cells.map((c) => c.executionCount), [undefined, 1, null]);
  // nbformat 3's prompt_number is the execution count after the upgrade.
  const v3 = await readIpynb(path.join(FIXTURES, 'ipynb', 'v3-worksheets.ipynb'));
  assert.ok(v3.cells.some((c) => c.executionCount === 3));
  assert.ok(v3.cells.filter((c) => c.type !== 'code').every((c) => c.executionCount === undefined));

  const written = JSON.parse(writeIpynb(v45)) as { cells: Record<string, unknown>[] };
  assert.deepEqual(written.cells.map((c) => c.execution_count), [undefined, 1, 2, undefined]);
  assert.deepEqual(written.cells[0]!.attachments, { 'logo.png': { 'image/png': PNG } });
});

test('every readable percent script written as .ipynb is valid nbformat 4.5 and keeps its cells', async () => {
  const tmp = tempDir();
  try {
    for (const name of VALID_PERCENT) {
      const script = await readPercent(path.join(FIXTURES, 'percent', name));
      const { file } = writeAndValidate(script, tmp.dir, `${name}.ipynb`);
      const nb = await readIpynb(file);
      assert.deepEqual(nb.cells.map((c) => kept(c, false)), script.cells.map((c) => kept(c, false)), name);
      assert.equal(nb.kernel.language, script.kernel.language, `${name}: language`);
      assert.deepEqual(nb.cells.map((c) => c.id), cellIds(script.cells), `${name}: ids`);
    }
  } finally {
    tmp.cleanup();
  }
});

const cell = (fields: Partial<NotebookCell> = {}): NotebookCell => ({ type: 'code', source: 'x = 1', tags: [], metadata: {}, outputs: [], index: 0, ...fields });
const notebook = (cells: NotebookCell[], fields: Partial<Notebook> = {}): Notebook => ({
  file: '/nb/x.ipynb', format: 'ipynb', nbformat: { major: 4, minor: 5 }, kernel: {}, metadata: {}, cells, ...fields,
});

test('cells without an id get valid, unique, deterministic ones; ids they have are kept', () => {
  const cells = [
    cell(), // no id
    cell({ id: 'cell-0' }), // takes the name the first would have had
    cell({ id: 'load' }),
    cell({ id: 'load' }), // duplicate (a model built in code): the second gets a fresh id
    cell({ id: 'not valid!' }), // not an id the schema accepts
    cell(),
  ];
  const ids = cellIds(cells);
  assert.deepEqual(ids, ['cell-0-2', 'cell-0', 'load', 'cell-3', 'cell-4', 'cell-5']);
  assert.equal(new Set(ids).size, ids.length);
  assert.ok(ids.every((id) => CELL_ID.test(id)));
  assert.deepEqual(cellIds(cells), ids, 'same notebook, same ids');

  const tmp = tempDir();
  try {
    const { file } = writeAndValidate(notebook(cells), tmp.dir, 'ids.ipynb');
    assert.deepEqual(parseIpynb(writeIpynb(notebook(cells)), file).cells.map((c) => c.id), ids);
  } finally {
    tmp.cleanup();
  }
});

test('a run notebook with stream, execute_result, display_data (PNG) and error outputs validates', () => {
  const nb = notebook([
    cell({ type: 'markdown', source: '# Run\n\nWith outputs.\n' }),
    cell({
      id: 'params', source: 'n = 3', tags: ['injected-parameters'], executionCount: 1, metadata: { tags: ['old'], trusted: true, papermill: { duration: 0.012 } },
    }),
    cell({
      id: 'work',
      source: 'print("a")\nprint("b")\nn * 2',
      executionCount: 2,
      outputs: [
        { output_type: 'stream', name: 'stdout', text: 'a\nb\n' },
        { output_type: 'execute_result', execution_count: 2, data: { 'text/plain': '6' }, metadata: {} },
        {
          output_type: 'display_data', data: { 'image/png': PNG, 'text/plain': '<Figure>\nsize 1x1' }, metadata: { 'image/png': { width: 1 } },
          transient: { display_id: 'fig1' },
        },
      ],
    }),
    cell({
      id: 'boom',
      source: '1 / 0',
      executionCount: 3,
      outputs: [{ output_type: 'error', ename: 'ZeroDivisionError', evalue: 'division by zero', traceback: ['Traceback', 'ZeroDivisionError: division by zero'] }],
    }),
    cell({ id: 'unrun', source: '' }),
  ], {
    kernel: { name: 'python3', displayName: 'Python 3 (ipykernel)', language: 'python' },
    metadata: { papermill: { parameters: { n: 3 } }, '10': 'ten', '9': 'nine' },
  });
  const copy = structuredClone(nb);
  const tmp = tempDir();
  try {
    const { text } = writeAndValidate(nb, tmp.dir, 'run.ipynb');
    assert.deepEqual(nb, copy, 'the model passed in is left as it was');
    assert.ok(text.startsWith('{\n "cells": [\n  {\n   "cell_type": "markdown",'), '1-space indent, keys sorted');
    assert.ok(text.endsWith('\n "nbformat": 4,\n "nbformat_minor": 5\n}\n'));
    assert.ok(text.indexOf('"10": "ten"') < text.indexOf('"9": "nine"'), 'keys sorted as strings, as Python does');

    const doc = JSON.parse(text) as { cells: Record<string, any>[]; metadata: Record<string, unknown> };
    const [md, params, work, boom, unrun] = doc.cells;
    assert.deepEqual(md!.source, ['# Run\n', '\n', 'With outputs.\n']);
    assert.equal(md!.execution_count, undefined);
    assert.equal(md!.outputs, undefined);
    assert.deepEqual(params!.metadata, { papermill: { duration: 0.012 }, tags: ['injected-parameters'] });
    assert.equal(params!.execution_count, 1);
    assert.deepEqual(work!.source, ['print("a")\n', 'print("b")\n', 'n * 2']);
    assert.deepEqual(work!.outputs, [
      { name: 'stdout', output_type: 'stream', text: ['a\n', 'b\n'] },
      { data: { 'text/plain': ['6'] }, execution_count: 2, metadata: {}, output_type: 'execute_result' },
      { data: { 'image/png': PNG, 'text/plain': ['<Figure>\n', 'size 1x1'] }, metadata: { 'image/png': { width: 1 } }, output_type: 'display_data' },
    ]);
    assert.equal(boom!.outputs[0].ename, 'ZeroDivisionError');
    assert.deepEqual(unrun!.source, []);
    assert.equal(unrun!.execution_count, null);
    assert.deepEqual(doc.metadata.kernelspec, { display_name: 'Python 3 (ipykernel)', language: 'python', name: 'python3' });
    assert.deepEqual(doc.metadata.language_info, { name: 'python' });
  } finally {
    tmp.cleanup();
  }
});

test('a kernelspec without a name is left out rather than written invalid', () => {
  const doc = JSON.parse(writeIpynb(notebook([cell()], { metadata: { kernelspec: { display_name: 'Mystery' } } }))) as { metadata: Record<string, unknown> };
  assert.equal(doc.metadata.kernelspec, undefined);
  assert.equal(doc.metadata.language_info, undefined);
});

test('lines are split the way Python\'s splitlines(keepends) splits them', () => {
  assert.deepEqual(splitLines(''), []);
  assert.deepEqual(splitLines('a'), ['a']);
  assert.deepEqual(splitLines('a\n'), ['a\n']);
  assert.deepEqual(splitLines('a\r\nb\rc\n\nd'), ['a\r\n', 'b\r', 'c\n', '\n', 'd']);
  assert.deepEqual(splitLines('a\u2028b\fc'), ['a\u2028', 'b\f', 'c']);
});
