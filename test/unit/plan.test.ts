import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readIpynb } from '../../src/notebooks/ipynb.ts';
import { readPercent } from '../../src/notebooks/percent.ts';
import { code, md, notebook } from '../helpers/notebook-model.ts';
import { planNotebook, type NotebookPlan } from '../../src/notebooks/plan.ts';
import { ID_RULE, workflowIdFromFile } from '../../src/notebooks/plan-ids.ts';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/notebooks');


const ids = (plan: NotebookPlan) => plan.steps.map((s) => s.id);

test('the workflow id is the file name made into a valid id, and the title falls back to the file name', () => {
  assert.equal(workflowIdFromFile('/nb/Hello World (v2).ipynb'), 'hello_world_v2');
  assert.equal(workflowIdFromFile('/nb/2024 report.py'), 'nb_2024_report');
  assert.equal(workflowIdFromFile('/nb/Café-crème.ipynb'), 'cafe_creme');
  assert.equal(workflowIdFromFile('/nb/!!!.ipynb'), 'notebook');
  const long = workflowIdFromFile(`/nb/${'very long name '.repeat(6)}.ipynb`);
  assert.match(long, ID_RULE);
  assert.equal(long, 'very_long_name_very_long_name_very_long');

  const plan = planNotebook(notebook([code('x = 1')]));
  assert.equal(plan.id, 'hello_world_v2');
  assert.equal(plan.title, 'Hello World (v2)');
  assert.equal(plan.description, '');
  assert.equal(planNotebook(notebook([code('x = 1')]), { id: 'mine' }).id, 'mine');
});

test('the first heading is the title, the text under it the description; markdown before a code cell is its docs', () => {
  const plan = planNotebook(
    notebook([
      md('# Sales report\nWhat sold, *where*.\n\n## Load\nReads the CSV.'),
      code('df = load()'),
      md('Some notes.'),
      md('```python\n# not a heading\n```'),
      code('# Plot the data\nplot(df)'),
      code('x = 2'),
      md('## Results\nThe end.'),
    ]),
  );
  assert.equal(plan.title, 'Sales report');
  assert.equal(plan.description, 'What sold, *where*.');
  assert.deepEqual(
    plan.steps.map((s) => ({ title: s.title, docs: s.docs, code: s.code })),
    [
      { title: 'Load', docs: 'Reads the CSV.', code: 'df = load()' },
      { title: 'Plot the data', docs: 'Some notes.\n\n```python\n# not a heading\n```', code: '# Plot the data\nplot(df)' },
      { title: 'Cell 3', docs: '', code: 'x = 2' },
    ],
  );
  // Markdown after the last code cell documents no step, but is kept.
  assert.equal(plan.closing, '## Results\nThe end.');
});

test('a heading after the first code cell is a step title, not the workflow title', () => {
  const plan = planNotebook(notebook([code('x = 1'), md('# Results'), code('print(x)')]));
  assert.equal(plan.title, 'Hello World (v2)');
  assert.equal(plan.steps[1]!.title, 'Results');
  assert.equal(plan.steps[1]!.docs, '', 'the heading is shown once, as the title');
});

test('a title comment is not a shebang, a magic marker or a Quarto option', () => {
  const plan = planNotebook(notebook([code('#!/usr/bin/env python\nx = 1'), code('#| echo: false\ny = 2'), code('\n  ## Sum them  \nx + y')]));
  assert.deepEqual(plan.steps.map((s) => s.title), ['Cell 1', 'Cell 2', 'Sum them']);
});

test('with cell ids, step ids come from them alone: stable when cells are inserted, moved or retitled', () => {
  const uuid = 'd3b07384-d113-4ec5-a58a-4a1e2b3c4d5e';
  const before = planNotebook(
    notebook([code('# Load\nload()', { id: 'load-data' }), code('x = 1', { id: '3f2a9c1e' }), code('y = 2', { id: uuid })]),
  );
  assert.deepEqual(ids(before), ['load_data', 'cell_3f2a9c1e', 'cell_d3b07384']);

  const after = planNotebook(
    notebook([
      md('# New intro', { id: 'intro' }),
      code('setup()', { id: 'new-first' }),
      code('y = 3', { id: uuid }),
      code('# Load it all\nload(all=True)', { id: 'load-data' }),
      code('x = 1', { id: '3f2a9c1e' }),
    ]),
  );
  const byCell = new Map(after.steps.map((s) => [s.cellId, s.id]));
  for (const s of before.steps) assert.equal(byCell.get(s.cellId), s.id, `cell ${s.cellId}`);
  assert.equal(after.steps.find((s) => s.cellId === 'load-data')!.title, 'Load it all');
});

test('step ids are unique and valid, whatever the cell ids or titles', () => {
  const withIds = planNotebook(
    notebook([code('a = 1', { id: 'Load' }), code('b = 2', { id: 'load' }), code('c = 3', { id: '_' }), code('d = 4', { id: 'x'.repeat(64) })]),
  );
  assert.equal(withIds.steps[0]!.id, 'load');
  assert.match(withIds.steps[1]!.id, /^load_[0-9a-f]{8}$/);
  assert.match(withIds.steps[2]!.id, /^cell_[0-9a-f]{8}$/);
  assert.equal(withIds.steps[3]!.id.length, 40);

  // Without cell ids (older notebooks, scripts): the title, else the position.
  const without = planNotebook(
    notebook([code('# Load\na = 1'), code('# Load\nb = 2'), code('# 3 plots\nplot()'), code(`# ${'word '.repeat(20)}\nz = 1`), code('q = 1'), code('# Load\nc = 3')]),
  );
  assert.deepEqual(ids(without), ['load', 'load_2', 'step_3_plots', 'word_word_word_word_word_word_word_word', 'cell_5', 'load_3']);

  for (const plan of [withIds, without]) {
    for (const id of ids(plan)) assert.match(id, ID_RULE);
    assert.equal(new Set(ids(plan)).size, plan.steps.length);
  }
});

test('empty code cells, raw cells and old injected-parameters cells are not steps; their docs carry on', () => {
  const plan = planNotebook(
    notebook([
      md('About the data.'),
      code('   \n\t\n'),
      { type: 'raw', source: 'raw text' },
      code('x = 1', { tags: ['injected-parameters'] }),
      code('print(x)'),
    ]),
  );
  assert.equal(plan.steps.length, 1);
  assert.equal(plan.steps[0]!.docs, 'About the data.');
  assert.equal(plan.steps[0]!.cell, 4);
  assert.deepEqual(plan.dropped, [
    { cell: 1, reason: 'empty' },
    { cell: 2, reason: 'raw' },
    { cell: 3, reason: 'injected-parameters' },
  ]);
});

test('tags set the step flags; every step has the SHA-256 of its code', () => {
  const plan = planNotebook(
    notebook([
      code('a = 1'),
      code('b = 2', { tags: ['skip-execution'] }),
      code('1 / 0', { tags: ['raises-exception'] }),
      code('c = 3', { tags: ['remove-input'] }),
      code('d = 4', { tags: ['hide-input'] }),
      code('e = 5', { tags: ['remove-cell'] }),
      code('f = 6', { tags: ['remove-output', 'other'] }),
    ]),
  );
  const flags = plan.steps.map(({ skip, raisesException, hideCode, hideOutput }) => ({ skip, raisesException, hideCode, hideOutput }));
  const none = { skip: false, raisesException: false, hideCode: false, hideOutput: false };
  assert.deepEqual(flags, [
    none,
    { ...none, skip: true },
    { ...none, raisesException: true },
    { ...none, hideCode: true },
    { ...none, hideCode: true },
    // remove-cell: still a step (it runs), but shows neither code nor output.
    { ...none, hideCode: true, hideOutput: true },
    { ...none, hideOutput: true },
  ]);
  for (const s of plan.steps) {
    assert.equal(s.kind, 'code');
    assert.equal(s.codeHash, createHash('sha256').update(s.code).digest('hex'));
  }
  assert.notEqual(plan.steps[0]!.codeHash, plan.steps[1]!.codeHash);
});

test('parameters cells become parameters steps at their place, with their fields and problems', () => {
  const plan = planNotebook(
    notebook([
      code('name = "world"  # who to greet', { tags: ['parameters'] }),
      code('print(name)'),
      md('## Second round'),
      code('level = 50  # range: 0..10\nimport os', { tags: ['parameters'] }),
    ]),
  );
  assert.deepEqual(plan.steps.map((s) => [s.id, s.kind, s.title]), [
    ['parameters', 'parameters', 'Parameters'],
    ['cell_2', 'code', 'Cell 2'],
    ['second_round', 'parameters', 'Second round'],
  ]);
  const first = plan.steps[0]!.parameters!;
  assert.deepEqual(first.parameters.map((p) => [p.name, p.type, p.default, p.help]), [['name', 'string', 'world', 'who to greet']]);
  assert.equal(plan.steps[1]!.parameters, undefined);
  const second = plan.steps[2]!.parameters!;
  assert.deepEqual(second.unsupported, [{ line: 2, text: 'import os' }]);
  assert.equal(second.errors.length, 1);
  assert.equal(plan.problems.length, 1);
  assert.equal(plan.problems[0]!.cell, 3);
  assert.equal(plan.problems[0]!.step, 'second_round');
  assert.match(plan.problems[0]!.message, /^parameters cell, line 1: level: /);
});

test('a parameters cell in a language whose parameters cannot be read is a problem, not a crash', () => {
  const plan = planNotebook(notebook([code('name=world', { tags: ['parameters'] })], { language: 'bash' }));
  assert.equal(plan.steps[0]!.kind, 'parameters');
  assert.equal(plan.problems.length, 1);
  assert.match(plan.problems[0]!.message, /cannot be read/);
});

test('the language comes from the kernel info, else python; title comments follow it', () => {
  const ts = planNotebook(notebook([code('// Fetch the page\nawait fetch(url)'), code('# not a comment in TS')], { language: 'typescript' }));
  assert.equal(ts.language, 'typescript');
  assert.deepEqual(ts.steps.map((s) => [s.language, s.title]), [
    ['typescript', 'Fetch the page'],
    ['typescript', 'Cell 2'],
  ]);
  assert.equal(planNotebook(notebook([code('x = 1')], {})).language, 'python');
  assert.equal(planNotebook(notebook([code('x = 1')], { language: 'R' })).language, 'r');
});

test('fixture: an nbformat 4.5 TypeScript notebook with cell ids', async () => {
  const plan = planNotebook(await readIpynb(path.join(FIXTURES, 'ipynb/v4.5-ids.ipynb')));
  assert.equal(plan.id, 'v4_5_ids');
  assert.equal(plan.title, 'Greeting');
  assert.equal(plan.description, '![logo](attachment:logo.png)');
  assert.equal(plan.language, 'typescript');
  assert.deepEqual(plan.steps.map((s) => [s.id, s.kind, s.cellId]), [
    ['set_name_1', 'parameters', 'set-name_1'],
    [plan.steps[1]!.id, 'code', 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8s9T0u1V2w3X4y5Z6-_abcdefghij'],
  ]);
  assert.match(plan.steps[1]!.id, ID_RULE);
  assert.deepEqual(plan.steps[0]!.parameters!.parameters.map((p) => [p.name, p.default]), [['name', 'world']]);
  assert.deepEqual(plan.dropped, [{ cell: 3, reason: 'raw' }]);
});

test('fixture: an nbformat 4.4 R notebook with a raises-exception cell', async () => {
  const plan = planNotebook(await readIpynb(path.join(FIXTURES, 'ipynb/v4.4.ipynb')));
  assert.equal(plan.language, 'r');
  assert.deepEqual(plan.steps.map((s) => [s.id, s.kind, s.raisesException]), [
    ['parameters', 'parameters', false],
    ['cell_2', 'code', true],
  ]);
  assert.deepEqual(plan.steps[0]!.parameters!.parameters.map((p) => [p.name, p.type]), [['n', 'integer'], ['label', 'string']]);
});

test('fixture: percent scripts in Python, TypeScript and R', async () => {
  const py = planNotebook(await readPercent(path.join(FIXTURES, 'percent/parameters.py')));
  assert.equal(py.language, 'python');
  assert.deepEqual(ids(py), ['parameters', 'cell_2']);
  assert.deepEqual(py.dropped, [{ cell: 2, reason: 'injected-parameters' }]);

  const ts = planNotebook(await readPercent(path.join(FIXTURES, 'percent/steps.ts')));
  assert.equal(ts.id, 'steps');
  assert.equal(ts.title, 'TypeScript notebook');
  assert.equal(ts.description, 'Runs in Node.');
  assert.equal(ts.language, 'typescript');
  assert.deepEqual(ts.steps.map((s) => s.kind), ['parameters', 'code']);
  assert.deepEqual(ts.steps[0]!.parameters!.parameters.map((p) => p.name), ['city']);

  const r = planNotebook(await readPercent(path.join(FIXTURES, 'percent/analysis.R')));
  assert.equal(r.language, 'r');
  assert.equal(r.title, 'R analysis');
  assert.equal(r.description, 'A *short* note.');
  assert.equal(r.steps[0]!.code, 'x <- c(1, 2, 3)\nmean(x)');
});
